package tokenizer

// Decode returns the bytes run.c's decode() gives for token id following
// token prev: the piece, minus one leading ' ' when prev is BOS, or the raw
// byte when the piece is a "<0xXX>" byte token. It returns nil for an id
// outside the vocabulary. The result aliases internal storage (it must not be
// modified) and Decode never allocates: it runs once per generated token.
// Use Printable to filter it as run.c's safe_printf does.
func (t *Tokenizer) Decode(prev, id int) []byte {
	piece := t.Piece(id)
	if piece == nil {
		return nil
	}
	if prev == BOS && len(piece) > 0 && piece[0] == ' ' {
		piece = piece[1:]
	}
	if b, ok := scanHexByte(piece); ok {
		return t.bytePieces[b : int(b)+1 : int(b)+1]
	}
	return piece
}

// scanHexByte reports whether glibc's sscanf(piece, "<0x%02hhX>", &b) would
// return 1, and the byte it would store. After the literal "<0x", %02hhX
// skips C-locale white space, then reads at most 2 characters as strtol with
// base 16 would: an optional sign, an optional "0x" prefix after a leading 0,
// hex digits. It needs at least one digit; the trailing '>' is never checked.
func scanHexByte(piece []byte) (byte, bool) {
	const prefix = "<0x"
	if len(piece) < len(prefix) || string(piece[:len(prefix)]) != prefix {
		return 0, false
	}
	s := piece[len(prefix):]
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	width := 2
	neg := false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
		width--
	}
	digits := 0
	value := 0
	if width > 0 && i < len(s) && s[i] == '0' {
		i++
		width--
		digits++
		if width > 0 && i < len(s) && s[i]|0x20 == 'x' {
			i++
			width--
		}
	}
	for ; width > 0 && i < len(s); i, width = i+1, width-1 {
		d, ok := hexDigit(s[i])
		if !ok {
			break
		}
		value = value*16 + d
		digits++
	}
	if digits == 0 {
		return 0, false
	}
	if neg {
		value = -value
	}
	return byte(value), true
}

// hexDigit returns the value of an ASCII hex digit.
func hexDigit(c byte) (int, bool) {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0'), true
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10, true
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10, true
	}
	return 0, false
}
