package tokenizer

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// sharedDir is the read-only reference data beside the checkout.
const sharedDir = "../../../../shared"

// entry is one tokenizer.bin record for building test files.
type entry struct {
	score float32
	piece string
}

// buildBin serialises entries in llama2.c's tokenizer.bin format.
func buildBin(entries []entry) []byte {
	maxLen := 0
	for _, e := range entries {
		maxLen = max(maxLen, len(e.piece))
	}
	out := binary.LittleEndian.AppendUint32(nil, uint32(maxLen))
	for _, e := range entries {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(e.score))
		out = binary.LittleEndian.AppendUint32(out, uint32(len(e.piece)))
		out = append(out, e.piece...)
	}
	return out
}

// llamaLayout returns the three special tokens and 256 byte tokens that
// start every Llama 2 style vocabulary (ids 0..258).
func llamaLayout() []entry {
	es := []entry{{0, "<unk>"}, {0, "\n<s>\n"}, {0, "\n</s>\n"}}
	for b := range 256 {
		es = append(es, entry{0, fmt.Sprintf("<0x%02X>", b)})
	}
	return es
}

// smallVocab is a Llama-like vocabulary with merges: byte tokens, every
// printable ASCII character, and a few multi-character pieces whose scores
// make longer merges win, so Encode exercises its merge loop.
func smallVocab() []entry {
	es := llamaLayout()
	for c := byte(' '); c <= '~'; c++ {
		es = append(es, entry{-1000, string(c)})
	}
	merges := []string{
		" t", "he", "th", " the", "the", " a", "an", "and", " and", "in",
		"er", "on", "ce", "Once", " O", " Once", "up", "upon", " upon",
		" ti", "me", "time", " time", "é", "日", "  ",
	}
	for i, m := range merges {
		es = append(es, entry{float32(-i), m})
	}
	return es
}

// mustParse parses entries built with buildBin or fails the test.
func mustParse(tb testing.TB, entries []entry) *Tokenizer {
	tb.Helper()
	tok, err := Parse("test.bin", buildBin(entries), len(entries))
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// realTokenizer loads the shared 32000-entry Llama 2 tokenizer with the
// given vocabulary size, skipping the test when the shared data is missing.
func realTokenizer(tb testing.TB, vocabSize int) *Tokenizer {
	tb.Helper()
	path := filepath.Join(sharedDir, "models", "tokenizer.bin")
	if _, err := os.Stat(path); err != nil {
		tb.Skipf("shared reference data not available (%v); it lives in ../shared beside the checkout", err)
	}
	tok, err := Load(path, vocabSize)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// decodeAll concatenates Decode over ids, with prev starting at prev0.
func decodeAll(tok *Tokenizer, prev0 int, ids []int) []byte {
	var out []byte
	prev := prev0
	for _, id := range ids {
		out = append(out, tok.Decode(prev, id)...)
		prev = id
	}
	return out
}

// checkRange fails the test if any id is outside [0, vocabSize).
func checkRange(tb testing.TB, ids []int, vocabSize int) {
	tb.Helper()
	for i, id := range ids {
		if id < 0 || id >= vocabSize {
			tb.Fatalf("id %d at %d is outside [0,%d): %v", id, i, vocabSize, ids)
		}
	}
}
