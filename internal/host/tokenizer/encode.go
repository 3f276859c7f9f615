package tokenizer

import (
	"fmt"
	"slices"
	"strings"
)

// Encode turns text into token ids exactly as run.c's encode(): BOS first if
// bos, a dummy-prefix " " token if the text is non-empty, codepoints or
// byte-fallback tokens, best-score pair merges, EOS last if eos. Like C it
// stops at the first NUL byte of text. It returns an error instead of an id
// outside the vocabulary (see the package documentation).
func (t *Tokenizer) Encode(text string, bos, eos bool) ([]int, error) {
	if i := strings.IndexByte(text, 0); i >= 0 {
		text = text[:i]
	}
	if err := t.checkSpecial(bos, eos); err != nil {
		return nil, err
	}
	tokens := make([]int, 0, len(text)+3)
	if bos {
		tokens = append(tokens, BOS)
	}
	if text != "" {
		id, err := t.dummyPrefix()
		if err != nil {
			return nil, err
		}
		tokens = append(tokens, id)
	}
	tokens, err := t.appendCodepoints(tokens, text)
	if err != nil {
		return nil, err
	}
	tokens = t.merge(tokens)
	if eos {
		tokens = append(tokens, EOS)
	}
	return tokens, nil
}

// checkSpecial rejects a requested BOS or EOS whose fixed id does not exist
// in a (degenerate) vocabulary of fewer than 2 or 3 tokens.
func (t *Tokenizer) checkSpecial(bos, eos bool) error {
	if bos && BOS >= t.VocabSize() {
		return fmt.Errorf("tokenizer: cannot add BOS: id %d is outside the vocabulary of %d", BOS, t.VocabSize())
	}
	if eos && EOS >= t.VocabSize() {
		return fmt.Errorf("tokenizer: cannot add EOS: id %d is outside the vocabulary of %d", EOS, t.VocabSize())
	}
	return nil
}

// dummyPrefix returns the id run.c prepends to non-empty text: the piece " ",
// or, when the vocabulary lacks it (where C would use id -1 and crash), the
// byte-fallback token for ' '.
func (t *Tokenizer) dummyPrefix() (int, error) {
	if t.dummy >= 0 {
		return t.dummy, nil
	}
	id, err := t.byteFallback(' ')
	if err != nil {
		return 0, fmt.Errorf("tokenizer: no \" \" piece for the dummy prefix: %w", err)
	}
	return id, nil
}

// byteFallback returns the token run.c uses for a byte with no piece of its
// own, b+3, or an error when that id is outside the vocabulary.
func (t *Tokenizer) byteFallback(b byte) (int, error) {
	id := int(b) + byteFallbackOffset
	if id >= t.VocabSize() {
		return 0, fmt.Errorf("tokenizer: cannot encode byte 0x%02X: byte-fallback id %d is outside the vocabulary of %d", b, id, t.VocabSize())
	}
	return id, nil
}

// isContinuation reports whether b is a UTF-8 continuation byte (10xxxxxx).
func isContinuation(b byte) bool {
	return b&0xC0 == 0x80
}

// appendCodepoints appends one token per codepoint of text, grouped as run.c
// groups them: a byte plus the continuation bytes that follow it, at most 4
// bytes in all (stray continuation bytes form groups of their own). A group
// not in the vocabulary becomes one byte-fallback token per byte.
func (t *Tokenizer) appendCodepoints(tokens []int, text string) ([]int, error) {
	for start := 0; start < len(text); {
		end := start + 1
		for end < len(text) && end-start < 4 && isContinuation(text[end]) {
			end++
		}
		if id := t.lookup([]byte(text[start:end])); id >= 0 {
			tokens = append(tokens, id)
		} else {
			for i := start; i < end; i++ {
				id, err := t.byteFallback(text[i])
				if err != nil {
					return nil, err
				}
				tokens = append(tokens, id)
			}
		}
		start = end
	}
	return tokens, nil
}

// merge applies run.c's merge loop: while some adjacent pair concatenates to
// a vocabulary piece, replace the pair with the highest-scoring such piece
// (strictly greater than the best so far, scanning left to right, starting
// from -1e10). The candidate of each pair is cached and only the pairs next
// to a merge are looked up again, which picks the same merges as C's full
// rescan since a pair's candidate depends only on its two tokens.
func (t *Tokenizer) merge(tokens []int) []int {
	if len(tokens) < 2 {
		return tokens
	}
	var buf []byte
	pairID := func(a, b int) int {
		buf = append(append(buf[:0], t.piece(int32(a))...), t.piece(int32(b))...)
		return t.lookup(buf)
	}
	cand := make([]int, len(tokens)-1) // cand[i]: merge of tokens[i], tokens[i+1], or -1
	for i := range cand {
		cand[i] = pairID(tokens[i], tokens[i+1])
	}
	for {
		best, at := float32(-1e10), -1
		for i, id := range cand {
			if id >= 0 && t.scores[id] > best {
				best, at = t.scores[id], i
			}
		}
		if at < 0 {
			return tokens
		}
		tokens[at] = cand[at]
		tokens = slices.Delete(tokens, at+1, at+2)
		cand = slices.Delete(cand, at, at+1)
		if at > 0 {
			cand[at-1] = pairID(tokens[at-1], tokens[at])
		}
		if at < len(cand) {
			cand[at] = pairID(tokens[at], tokens[at+1])
		}
	}
}
