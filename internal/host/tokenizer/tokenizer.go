package tokenizer

import "bytes"

// BOS is the beginning-of-sequence token id, as in Llama 2's sentencepiece
// vocabulary that llama2.c hard-codes.
const BOS = 1

// EOS is the end-of-sequence token id, as in Llama 2's sentencepiece
// vocabulary that llama2.c hard-codes.
const EOS = 2

// byteFallbackOffset is the id of the token for byte 0x00: llama2.c encodes a
// byte b that has no piece of its own as token b+3 (after <unk>, <s>, </s>).
const byteFallbackOffset = 3

// Tokenizer is a loaded llama2.c vocabulary: pieces, merge scores and the
// sorted index used for lookups. It is immutable and safe for concurrent use.
type Tokenizer struct {
	arena   []byte    // all pieces, back to back
	offsets []uint32  // piece id spans arena[offsets[id]:offsets[id+1]]
	scores  []float32 // merge score of each piece
	sorted  []int32   // ids stably sorted by strcmp of their pieces
	dummy   int       // id of " ", or -1 when the vocabulary lacks it
	// bytePieces[b] is byte b, so Decode can return a one-byte slice for a
	// "<0xXX>" piece without allocating (run.c's byte_pieces).
	bytePieces [256]byte
}

// newTokenizer finishes a tokenizer from its pieces and scores: it builds the
// sorted lookup index, the raw-byte table and the dummy-prefix id.
func newTokenizer(arena []byte, offsets []uint32, scores []float32) *Tokenizer {
	t := &Tokenizer{arena: arena, offsets: offsets, scores: scores}
	t.sorted = sortedIndex(t)
	for i := range t.bytePieces {
		t.bytePieces[i] = byte(i)
	}
	t.dummy = t.lookup([]byte(" "))
	return t
}

// VocabSize returns the number of tokens, i.e. the model's vocabulary size
// the tokenizer was loaded for.
func (t *Tokenizer) VocabSize() int {
	return len(t.scores)
}

// Piece returns the raw vocabulary entry of id as C sees it (up to its first
// NUL), or nil when id is out of range. The slice aliases internal storage
// and must not be modified.
func (t *Tokenizer) Piece(id int) []byte {
	if id < 0 || id >= len(t.scores) {
		return nil
	}
	return t.piece(int32(id))
}

// piece returns the entry of an id known to be in range, capped so that an
// append by the caller cannot overwrite the next piece.
func (t *Tokenizer) piece(id int32) []byte {
	lo, hi := t.offsets[id], t.offsets[id+1]
	return t.arena[lo:hi:hi]
}

// truncateAtNUL returns b up to (not including) its first NUL byte, which is
// how a C string built from b would end.
func truncateAtNUL(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}
