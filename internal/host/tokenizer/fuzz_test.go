package tokenizer

import (
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse: it must never panic, and a
// tokenizer it accepts must encode to in-range ids and decode without panic.
// The seed corpus is in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	// Seeds stay small: the fuzzer minimises new inputs, slowly if they are big.
	small := []entry{{0, "<unk>"}, {0, "\n<s>\n"}, {0, "\n</s>\n"}, {0, " "}, {0, "a"}, {0, "b"},
		{0, "c"}, {1, "ab"}, {2, " ab"}, {0, "é"}, {0, "<0x41>"}}
	f.Add(buildBin(small), uint16(len(small)), "abc é")
	f.Fuzz(func(t *testing.T, data []byte, vocabSize uint16, text string) {
		tok, err := Parse("fuzz.bin", data, int(vocabSize))
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		for _, s := range []string{text, "Once upon a time", "é\x80\xff"} {
			ids, err := tok.Encode(s, true, true)
			if err != nil {
				continue
			}
			checkRange(t, ids, tok.VocabSize())
			prev := BOS
			for _, id := range ids {
				Printable(tok.Decode(prev, id))
				prev = id
			}
		}
	})
}

// FuzzEncode checks Encode on the built-in ByteLevel vocabulary and on a
// small vocabulary with merges: ids in range, and raw Decode gives back the
// text up to its first NUL.
func FuzzEncode(f *testing.F) {
	for _, s := range []string{"", "Once upon a time", "café 日本語 😀", "\x80\x80\x80\x80\x80", "a\x00b", " the and  "} {
		f.Add(s)
	}
	byteLevel, err := ByteLevel(512)
	if err != nil {
		f.Fatal(err)
	}
	small := mustParse(f, smallVocab())
	f.Fuzz(func(t *testing.T, text string) {
		want := text
		if i := strings.IndexByte(want, 0); i >= 0 {
			want = want[:i]
		}
		for _, tok := range []*Tokenizer{byteLevel, small} {
			ids, err := tok.Encode(text, true, true)
			if err != nil {
				t.Fatalf("Encode(%q): %v", text, err)
			}
			checkRange(t, ids, tok.VocabSize())
			if ids[0] != BOS || ids[len(ids)-1] != EOS {
				t.Fatalf("Encode(%q) = %v: want BOS first and EOS last", text, ids)
			}
			if got := decodeAll(tok, BOS, ids[1:len(ids)-1]); string(got) != want {
				t.Fatalf("decode(Encode(%q)) = %q (ids %v)", text, got, ids)
			}
		}
	})
}
