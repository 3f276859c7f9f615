package tokenizer

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
)

// Load reads a llama2.c tokenizer.bin and keeps its first vocabSize entries,
// as run.c's build_tokenizer does for a model with that vocabulary size.
func Load(path string, vocabSize int) (*Tokenizer, error) {
	if err := checkVocabSize(path, vocabSize); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	return Parse(path, data, vocabSize)
}

// Parse is Load from bytes already in memory; name identifies the data in
// error messages. Every length is checked against the remaining data before
// use, so a corrupt file yields an error, never a panic or a huge allocation.
// The pieces are copied: data may be reused afterwards.
func Parse(name string, data []byte, vocabSize int) (*Tokenizer, error) {
	if err := checkVocabSize(name, vocabSize); err != nil {
		return nil, err
	}
	if len(data) < 4 {
		return nil, fmt.Errorf("tokenizer %s: truncated header (need 4 bytes for max_token_length, %d left)", name, len(data))
	}
	pos := 4 // max_token_length only sizes a C buffer; it is not needed here

	// Each entry takes at least 8 bytes, which bounds the preallocation by the
	// data actually present rather than by the caller's vocabSize.
	capHint := min(vocabSize, (len(data)-pos)/8)
	offsets := make([]uint32, 1, capHint+1)
	scores := make([]float32, 0, capHint)
	var arena []byte

	for i := range vocabSize {
		left := len(data) - pos
		if left == 0 {
			return nil, fmt.Errorf("tokenizer %s: has only %d entries, model needs %d", name, i, vocabSize)
		}
		if left < 4 {
			return nil, fmt.Errorf("tokenizer %s: entry %d of %d: truncated (need 4 bytes for score, %d left)", name, i, vocabSize, left)
		}
		score := math.Float32frombits(binary.LittleEndian.Uint32(data[pos:]))
		pos += 4
		if left = len(data) - pos; left < 4 {
			return nil, fmt.Errorf("tokenizer %s: entry %d of %d: truncated (need 4 bytes for length, %d left)", name, i, vocabSize, left)
		}
		n := int64(int32(binary.LittleEndian.Uint32(data[pos:])))
		pos += 4
		if n < 0 {
			return nil, fmt.Errorf("tokenizer %s: entry %d of %d: negative length %d", name, i, vocabSize, n)
		}
		if left = len(data) - pos; n > int64(left) {
			return nil, fmt.Errorf("tokenizer %s: entry %d of %d: truncated (need %d bytes for piece, %d left)", name, i, vocabSize, n, left)
		}
		arena = append(arena, truncateAtNUL(data[pos:pos+int(n)])...)
		pos += int(n)
		offsets = append(offsets, uint32(len(arena)))
		scores = append(scores, score)
	}
	return newTokenizer(arena, offsets, scores), nil
}

// checkVocabSize rejects a vocabulary size no model can have.
func checkVocabSize(name string, vocabSize int) error {
	if vocabSize <= 0 {
		return fmt.Errorf("tokenizer %s: invalid vocabulary size %d (must be > 0)", name, vocabSize)
	}
	return nil
}
