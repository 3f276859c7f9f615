package tokenizer

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// goldenCase is one row of encode_tokenizer32k.tsv.
type goldenCase struct {
	prompt string
	ids    []int
}

// readGolden parses encode_tokenizer32k.tsv: prompt, TAB, space-separated
// ids. Prompts may contain tabs, so the ids follow the last TAB.
func readGolden(t *testing.T) []goldenCase {
	t.Helper()
	path := filepath.Join(sharedDir, "golden", "encode_tokenizer32k.tsv")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("shared golden data not available (%v); it lives in ../shared beside the checkout", err)
	}
	var cases []goldenCase
	for n, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		cut := strings.LastIndexByte(line, '\t')
		if cut < 0 {
			t.Fatalf("%s:%d: no TAB", path, n+1)
		}
		c := goldenCase{prompt: line[:cut]}
		for _, f := range strings.Fields(line[cut+1:]) {
			id, err := strconv.Atoi(f)
			if err != nil {
				t.Fatalf("%s:%d: %v", path, n+1, err)
			}
			c.ids = append(c.ids, id)
		}
		cases = append(cases, c)
	}
	if len(cases) == 0 || cases[0].prompt != "" {
		t.Fatalf("%s: expected the empty prompt first", path)
	}
	return cases
}

func TestGoldenEncode32k(t *testing.T) {
	tok := realTokenizer(t, 32000)
	for _, c := range readGolden(t) {
		t.Run(strconv.Quote(c.prompt), func(t *testing.T) {
			got, err := tok.Encode(c.prompt, true, false)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.ids) {
				t.Fatalf("Encode(%q)\n got %v\nwant %v", c.prompt, got, c.ids)
			}
			if back := decodeAll(tok, c.ids[0], c.ids[1:]); string(back) != c.prompt {
				t.Fatalf("decode of %v = %q, want %q", c.ids, back, c.prompt)
			}
		})
	}
}

func TestRealTokenizer512(t *testing.T) {
	tok := realTokenizer(t, 512)
	if tok.VocabSize() != 512 {
		t.Fatalf("VocabSize = %d, want 512", tok.VocabSize())
	}
	tests := []struct {
		prompt string
		want   []int // nil: only check the range
	}{
		{"", []int{BOS}},
		{"Once upon a time", nil},
		{"Unicode: café 日本語 😀", nil},
		{" leading space", nil},
	}
	for _, tt := range tests {
		got, err := tok.Encode(tt.prompt, true, false)
		if err != nil {
			t.Fatalf("Encode(%q): %v", tt.prompt, err)
		}
		checkRange(t, got, 512)
		if tt.want != nil && !slices.Equal(got, tt.want) {
			t.Errorf("Encode(%q) = %v, want %v", tt.prompt, got, tt.want)
		}
		if len(got) < 2 && tt.prompt != "" {
			t.Errorf("Encode(%q) = %v: missing tokens", tt.prompt, got)
		}
	}
}
