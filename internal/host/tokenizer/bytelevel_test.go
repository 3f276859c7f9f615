package tokenizer

import (
	"fmt"
	"strings"
	"testing"
)

func TestByteLevelLayout(t *testing.T) {
	tok, err := ByteLevel(32000)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id    int
		piece string
		score float32
	}{
		{0, "<unk>", 0},
		{BOS, "\n<s>\n", 0},
		{EOS, "\n</s>\n", 0},
		{3, "<0x00>", 0},
		{3 + 0x41, "<0x41>", 0},
		{258, "<0xFF>", 0},
		{259, " ", -259},
		{260, " a", -260},
		{285, " z", -285},
		{286, " aa", -286},
		{287, " ab", -287},
		{259 + 26 + 26*26, " zz", -(259 + 26 + 26*26)},
		{259 + 26 + 26*26 + 1, " aaa", -(259 + 26 + 26*26 + 1)},
	}
	for _, tt := range tests {
		if got := string(tok.Piece(tt.id)); got != tt.piece || tok.scores[tt.id] != tt.score {
			t.Errorf("id %d: piece %q score %v, want %q score %v", tt.id, got, tok.scores[tt.id], tt.piece, tt.score)
		}
	}
	seen := make(map[string]int, tok.VocabSize())
	for id := range tok.VocabSize() {
		p := string(tok.Piece(id))
		if prev, dup := seen[p]; dup {
			t.Fatalf("piece %q is both id %d and id %d", p, prev, id)
		}
		seen[p] = id
		if got := tok.lookup([]byte(p)); got != id {
			t.Fatalf("lookup(%q) = %d, want %d", p, got, id)
		}
		if id >= 259 && strings.Trim(p[1:], "abcdefghijklmnopqrstuvwxyz") != "" {
			t.Fatalf("id %d: piece %q is not a lowercase word", id, p)
		}
	}
}

func TestByteLevelSizes(t *testing.T) {
	tests := []struct {
		vocabSize int
		wantErr   bool
	}{
		{0, true}, {-1, true}, {258, true}, {259, false}, {260, false}, {512, false}, {32000, false},
	}
	for _, tt := range tests {
		tok, err := ByteLevel(tt.vocabSize)
		if (err != nil) != tt.wantErr {
			t.Errorf("ByteLevel(%d) error = %v, want error %v", tt.vocabSize, err, tt.wantErr)
			continue
		}
		if err == nil && tok.VocabSize() != tt.vocabSize {
			t.Errorf("ByteLevel(%d).VocabSize() = %d", tt.vocabSize, tok.VocabSize())
		}
	}
}

func TestByteLevelRoundTrip(t *testing.T) {
	tok, err := ByteLevel(512)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text string
		want []int
	}{
		{"", []int{BOS, EOS}},
		{"hi", []int{BOS, 259, 'h' + 3, 'i' + 3, EOS}},
		{" x", []int{BOS, 259, 259, 'x' + 3, EOS}},
		{"é", []int{BOS, 259, 0xC3 + 3, 0xA9 + 3, EOS}},
	}
	for _, tt := range tests {
		ids, err := tok.Encode(tt.text, true, true)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(ids) != fmt.Sprint(tt.want) {
			t.Errorf("Encode(%q) = %v, want %v", tt.text, ids, tt.want)
		}
		if got := decodeAll(tok, BOS, ids[1:len(ids)-1]); string(got) != tt.text {
			t.Errorf("decode(Encode(%q)) = %q", tt.text, got)
		}
	}
}
