package tokenizer

import (
	"bytes"
	"testing"
)

func TestSortedIndexIsStable(t *testing.T) {
	// Many duplicate pieces: C's merge-sort qsort keeps duplicates in id
	// order, which decides which id bsearch returns for them.
	words := []string{"b", "a", "ab", "", " ", "ba", "a"}
	var es []entry
	for i := range 300 {
		es = append(es, entry{0, words[(i*7+i/5)%len(words)]})
	}
	tok := mustParse(t, es)
	for i := 1; i < len(tok.sorted); i++ {
		a, b := tok.sorted[i-1], tok.sorted[i]
		switch c := bytes.Compare(tok.piece(a), tok.piece(b)); {
		case c > 0:
			t.Fatalf("sorted[%d]=%d %q > sorted[%d]=%d %q", i-1, a, tok.piece(a), i, b, tok.piece(b))
		case c == 0 && a > b:
			t.Fatalf("duplicates %q out of id order: %d before %d", tok.piece(a), a, b)
		}
	}
}

func TestLookup(t *testing.T) {
	tok := mustParse(t, []entry{{0, "<unk>"}, {0, "\n<s>\n"}, {0, "\n</s>\n"}, {0, " "},
		{0, "ab"}, {0, "ab"}, {0, "b"}, {0, "a"}, {0, "c"}, {0, "é"}})
	tests := []struct {
		key  string
		want int
	}{
		{" ", 3}, {"a", 7}, {"b", 6}, {"c", 8}, {"é", 9}, {"<unk>", 0}, {"\n<s>\n", 1},
		{"ab", 4}, // with 10 entries bsearch probes index 5, the first "ab"
		{"", -1}, {"abc", -1}, {"d", -1}, {"\xff", -1},
	}
	for _, tt := range tests {
		if got := tok.lookup([]byte(tt.key)); got != tt.want {
			t.Errorf("lookup(%q) = %d, want %d", tt.key, got, tt.want)
		}
	}
}
