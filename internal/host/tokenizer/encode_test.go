package tokenizer

import (
	"slices"
	"strings"
	"testing"
)

// tinyVocab is the Llama layout (ids 0..258) then " " (259), "a" (260),
// "b" (261), "c" (262), then extra from id 263 on.
func tinyVocab(extra ...entry) []entry {
	return append(append(llamaLayout(), entry{0, " "}, entry{0, "a"}, entry{0, "b"}, entry{0, "c"}), extra...)
}

func TestEncode(t *testing.T) {
	const sp, a, b, c, x0 = 259, 260, 261, 262, 263
	nan := float32(0)
	nan /= nan
	tests := []struct {
		name     string
		vocab    []entry
		text     string
		bos, eos bool
		want     []int
	}{
		{"empty", tinyVocab(), "", true, false, []int{BOS}},
		{"empty no bos", tinyVocab(), "", false, false, []int{}},
		{"empty eos", tinyVocab(), "", true, true, []int{BOS, EOS}},
		{"chars", tinyVocab(), "abc", true, true, []int{BOS, sp, a, b, c, EOS}},
		{"no bos", tinyVocab(), "a", false, false, []int{sp, a}},
		{"byte fallback", tinyVocab(), "aZ", true, false, []int{BOS, sp, a, 'Z' + 3}},
		{"utf8 fallback per byte", tinyVocab(), "é", true, false, []int{BOS, sp, 0xC3 + 3, 0xA9 + 3}},
		{"utf8 codepoint piece", tinyVocab(entry{0, "é"}), "é", true, false, []int{BOS, sp, x0}},
		{"stray continuation bytes group by 4", tinyVocab(entry{0, "\x80\x80\x80\x80"}), "\x80\x80\x80\x80\x80", true, false,
			[]int{BOS, sp, x0, 0x80 + 3}},
		{"lead byte without continuation", tinyVocab(entry{0, "é"}), "\xC3a", true, false, []int{BOS, sp, 0xC3 + 3, a}},
		{"merge", tinyVocab(entry{1, "ab"}), "abc", true, false, []int{BOS, sp, x0, c}},
		{"higher score wins", tinyVocab(entry{1, "ab"}, entry{2, "bc"}), "abc", true, false, []int{BOS, sp, a, x0 + 1}},
		{"tie goes left", tinyVocab(entry{1, "ab"}, entry{1, "bc"}), "abc", true, false, []int{BOS, sp, x0, c}},
		{"merges chain", tinyVocab(entry{1, "ab"}, entry{0, "abc"}, entry{5, " abc"}), "abc", true, false, []int{BOS, x0 + 2}},
		{"NaN score never merges", tinyVocab(entry{nan, "ab"}), "ab", true, false, []int{BOS, sp, a, b}},
		{"score -1e10 never merges", tinyVocab(entry{-1e10, "ab"}), "ab", true, false, []int{BOS, sp, a, b}},
		{"BOS merges like in C", tinyVocab(entry{0, "\n<s>\n "}), "a", true, false, []int{x0, a}},
		{"stop at NUL", tinyVocab(), "ab\x00c", true, true, []int{BOS, sp, a, b, EOS}},
		{"leading NUL is empty", tinyVocab(), "\x00abc", true, false, []int{BOS}},
		// Sorted: "\n</s>\n" "\n<s>\n" " " "<unk>" "a" "ab"(4) "ab"(5) "b" "c".
		// glibc bsearch probes indexes 4, 7, 6 and finds id 5, not the first
		// "ab" (checked against run.c built with glibc 2.36).
		{"duplicate pieces resolve as bsearch", []entry{{0, "<unk>"}, {0, "\n<s>\n"}, {0, "\n</s>\n"}, {0, " "},
			{0, "ab"}, {0, "ab"}, {0, "b"}, {0, "a"}, {0, "c"}}, "ab", true, false, []int{BOS, 3, 5}},
		{"no space piece: dummy is byte token", llamaLayout()[:200], "A", true, false, []int{BOS, ' ' + 3, 'A' + 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := mustParse(t, tt.vocab)
			got, err := tok.Encode(tt.text, tt.bos, tt.eos)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Encode(%q, %v, %v) = %v, want %v", tt.text, tt.bos, tt.eos, got, tt.want)
			}
		})
	}
}

func TestEncodeOutOfVocabularyErrors(t *testing.T) {
	tests := []struct {
		name  string
		vocab []entry
		text  string
		want  string
	}{
		{"high byte", llamaLayout()[:200], "€", "tokenizer: cannot encode byte 0xE2: byte-fallback id 229 is outside the vocabulary of 200"},
		{"dummy prefix", llamaLayout()[:20], "\x01", "dummy prefix: tokenizer: cannot encode byte 0x20: byte-fallback id 35 is outside the vocabulary of 20"},
		{"ascii", llamaLayout()[:40], "A", "cannot encode byte 0x41: byte-fallback id 68 is outside the vocabulary of 40"},
		{"no BOS id", llamaLayout()[:1], "", "cannot add BOS: id 1 is outside the vocabulary of 1"},
		{"no EOS id", llamaLayout()[:2], "", "cannot add EOS: id 2 is outside the vocabulary of 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := mustParse(t, tt.vocab)
			ids, err := tok.Encode(tt.text, true, true)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Encode(%q) = %v, %v; want error containing %q", tt.text, ids, err, tt.want)
			}
		})
	}
}

func TestEncodeSmallVocabRoundTrip(t *testing.T) {
	tok := mustParse(t, smallVocab())
	tests := []string{"", "Once upon a time", "  the and", "café 日本語 😀", "\x80\xff\xc3", "a\tb\nc"}
	for _, text := range tests {
		ids, err := tok.Encode(text, true, true)
		if err != nil {
			t.Fatalf("Encode(%q): %v", text, err)
		}
		checkRange(t, ids, tok.VocabSize())
		if got := decodeAll(tok, BOS, ids[1:len(ids)-1]); string(got) != text {
			t.Errorf("decode(Encode(%q)) = %q (ids %v)", text, got, ids)
		}
	}
	// The merges must actually fire: fewer tokens than dummy prefix + bytes.
	text := "Once upon a time"
	ids, _ := tok.Encode(text, false, false)
	if len(ids) >= 1+len(text) {
		t.Errorf("Encode(%q) = %v: no merges", text, ids)
	}
}
