package tokenizer

import "fmt"

// byteLevelFirstWord is the first ByteLevel id after the three special
// tokens and the 256 byte tokens.
const byteLevelFirstWord = byteFallbackOffset + 256

// ByteLevel builds a tokenizer for synthetic models that have no
// tokenizer.bin: ids 0..2 are "<unk>", "\n<s>\n", "\n</s>\n" (as in Llama 2),
// ids 3..258 are the byte pieces "<0x00>".."<0xFF>" (score 0), and every id
// from 259 on is a distinct readable word: " " (id 259), then " a".." z",
// " aa", " ab", … (bijective base-26, lowercase, leading space), with score
// -id so merges are deterministic. Because " " is in the vocabulary the dummy
// prefix decodes away after BOS, so Decode round-trips Encode exactly. It
// needs vocabSize ≥ 259.
func ByteLevel(vocabSize int) (*Tokenizer, error) {
	if vocabSize < byteLevelFirstWord {
		return nil, fmt.Errorf("tokenizer: byte-level vocabulary needs at least %d tokens, got %d", byteLevelFirstWord, vocabSize)
	}
	arena := make([]byte, 0, vocabSize*6)
	offsets := make([]uint32, 1, vocabSize+1)
	scores := make([]float32, 0, vocabSize)
	add := func(piece []byte, score float32) {
		arena = append(arena, piece...)
		offsets = append(offsets, uint32(len(arena)))
		scores = append(scores, score)
	}
	add([]byte("<unk>"), 0)
	add([]byte("\n<s>\n"), 0)
	add([]byte("\n</s>\n"), 0)
	const hex = "0123456789ABCDEF"
	for b := range 256 {
		add([]byte{'<', '0', 'x', hex[b>>4], hex[b&15], '>'}, 0)
	}
	var buf []byte
	for id := byteLevelFirstWord; id < vocabSize; id++ {
		buf = appendWord(append(buf[:0], ' '), id-byteLevelFirstWord)
		add(buf, -float32(id))
	}
	return newTokenizer(arena, offsets, scores), nil
}

// appendWord appends the bijective base-26 numeral of k in letters a..z:
// 0 is "", 1 is "a", 26 is "z", 27 is "aa". Distinct k give distinct words.
func appendWord(dst []byte, k int) []byte {
	var tmp [16]byte
	i := len(tmp)
	for k > 0 {
		k--
		i--
		tmp[i] = 'a' + byte(k%26)
		k /= 26
	}
	return append(dst, tmp[i:]...)
}
