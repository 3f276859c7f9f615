package tokenizer

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseBadInputs(t *testing.T) {
	valid := buildBin([]entry{{0, "<unk>"}, {0, "<s>"}, {0, "</s>"}})
	// header plus one entry: score 0, then the given raw length, then data.
	withLen := func(n int32, data string) []byte {
		b := binary.LittleEndian.AppendUint32(nil, 8)
		b = binary.LittleEndian.AppendUint32(b, 0)
		b = binary.LittleEndian.AppendUint32(b, uint32(n))
		return append(b, data...)
	}
	tests := []struct {
		name      string
		data      []byte // nil: the file does not exist
		vocabSize int
		want      string
	}{
		{"missing", nil, 3, "no such file"},
		{"empty", []byte{}, 3, "truncated header (need 4 bytes for max_token_length, 0 left)"},
		{"short header", []byte{1, 0}, 3, "truncated header (need 4 bytes for max_token_length, 2 left)"},
		{"truncated score", append(valid[:4:4], 0, 0), 3, "entry 0 of 3: truncated (need 4 bytes for score, 2 left)"},
		{"truncated length", valid[:4+4+1], 3, "entry 0 of 3: truncated (need 4 bytes for length, 1 left)"},
		{"truncated piece", valid[:len(valid)-2], 3, "entry 2 of 3: truncated (need 4 bytes for piece, 2 left)"},
		{"negative length", withLen(-5, "abc"), 1, "entry 0 of 1: negative length -5"},
		{"huge length", withLen(1<<30, "abc"), 1, "entry 0 of 1: truncated (need 1073741824 bytes for piece, 3 left)"},
		{"max length", withLen(math.MaxInt32, ""), 1, "need 2147483647 bytes for piece, 0 left"},
		{"too few entries", valid, 512, "has only 3 entries, model needs 512"},
		{"vocab size 0", valid, 0, "invalid vocabulary size 0"},
		{"vocab size negative", valid, -1, "invalid vocabulary size -1"},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "tok-"+strings.ReplaceAll(tt.name, " ", "_")+".bin")
			if tt.data != nil {
				if err := os.WriteFile(path, tt.data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			tok, err := Load(path, tt.vocabSize)
			if err == nil {
				t.Fatalf("Load succeeded with vocab %d, want error containing %q", tok.VocabSize(), tt.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) || !strings.Contains(msg, path) || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line containing %q and the file name", msg, tt.want)
			}
			if tt.data != nil {
				if _, perr := Parse(path, tt.data, tt.vocabSize); perr == nil || perr.Error() != msg {
					t.Errorf("Parse error %v differs from Load error %q", perr, msg)
				}
			}
		})
	}
}

func TestParseReadsOnlyVocabSizeEntries(t *testing.T) {
	entries := []entry{{0, "<unk>"}, {1.5, "ab\x00cd"}, {-2, "xyz"}, {3, "never read"}}
	data := append(buildBin(entries), 0xFF) // trailing junk is ignored too
	tests := []struct {
		vocabSize int
		pieces    []string
		scores    []float32
	}{
		{1, []string{"<unk>"}, []float32{0}},
		{3, []string{"<unk>", "ab", "xyz"}, []float32{0, 1.5, -2}},
	}
	for _, tt := range tests {
		tok, err := Parse("t.bin", data, tt.vocabSize)
		if err != nil {
			t.Fatal(err)
		}
		if tok.VocabSize() != tt.vocabSize {
			t.Errorf("VocabSize = %d, want %d", tok.VocabSize(), tt.vocabSize)
		}
		for id, want := range tt.pieces {
			if got := string(tok.Piece(id)); got != want {
				t.Errorf("vocab %d: Piece(%d) = %q, want %q (C string)", tt.vocabSize, id, got, want)
			}
			if tok.scores[id] != tt.scores[id] {
				t.Errorf("vocab %d: score %d = %v, want %v", tt.vocabSize, id, tok.scores[id], tt.scores[id])
			}
		}
		for _, id := range []int{-1, tt.vocabSize} {
			if p := tok.Piece(id); p != nil {
				t.Errorf("Piece(%d) = %q, want nil", id, p)
			}
		}
	}
}

func TestParseCopiesData(t *testing.T) {
	data := buildBin([]entry{{0, "abc"}})
	tok, err := Parse("t.bin", data, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range data {
		data[i] = 'X'
	}
	if got := string(tok.Piece(0)); got != "abc" {
		t.Fatalf("Piece(0) = %q after the input changed, want %q", got, "abc")
	}
}
