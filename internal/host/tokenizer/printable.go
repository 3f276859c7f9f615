package tokenizer

// Printable filters a decoded piece as run.c's safe_printf() does before
// printing it: nil for an empty piece and for a lone byte that is neither
// printable nor white space in the C locale (control codes, stray bytes of
// 0x80 and above); otherwise the piece up to its first NUL. It never
// allocates.
func Printable(piece []byte) []byte {
	piece = truncateAtNUL(piece)
	if len(piece) == 0 {
		return nil
	}
	if len(piece) == 1 && !isPrint(piece[0]) && !isSpace(piece[0]) {
		return nil
	}
	return piece
}

// isPrint is C's isprint in the C locale: ' ' through '~'.
func isPrint(c byte) bool {
	return c >= 0x20 && c <= 0x7E
}

// isSpace is C's isspace in the C locale: ' ', \t, \n, \v, \f, \r.
func isSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}
