package tokenizer

import "testing"

func TestDecode(t *testing.T) {
	pieces := []string{
		"<unk>", "\n<s>\n", "\n</s>\n", // 0..2
		" hello",   // 3
		"<0x41>",   // 4: byte token
		"<0x0A>",   // 5
		" <0x41>",  // 6: a byte token only once the space is stripped
		"<0x4",     // 7: one digit is enough for sscanf
		"<0x41",    // 8: the closing '>' is not checked
		"<0xZZ>",   // 9: no digit: not a byte token
		"<0x 7f>",  // 10: %X skips white space
		"<0x-1>",   // 11: %X takes a sign
		"<0x0x>",   // 12: a "0x" prefix leaves just the 0
		"<0xABC>",  // 13: at most 2 digits
		"<0x00>",   // 14: NUL byte
		"  double", // 15
		"<0X41>",   // 16: the literal "<0x" is case-sensitive
		"",         // 17
		" ",        // 18
	}
	var es []entry
	for _, p := range pieces {
		es = append(es, entry{0, p})
	}
	tok := mustParse(t, es)
	tests := []struct {
		prev, id int
		want     string
		isNil    bool
	}{
		{0, 3, " hello", false},
		{BOS, 3, "hello", false},
		{EOS, 3, " hello", false},
		{0, 4, "A", false},
		{BOS, 4, "A", false},
		{0, 5, "\n", false},
		{0, 6, " <0x41>", false},
		{BOS, 6, "A", false},
		{0, 7, "\x04", false},
		{0, 8, "A", false},
		{0, 9, "<0xZZ>", false},
		{0, 10, "\x7f", false},
		{0, 11, "\xff", false},
		{0, 12, "\x00", false},
		{0, 13, "\xab", false},
		{0, 14, "\x00", false},
		{BOS, 15, " double", false},
		{0, 16, "<0X41>", false},
		{BOS, 17, "", false},
		{BOS, 18, "", false},
		{0, 18, " ", false},
		{0, -1, "", true},
		{0, len(pieces), "", true},
		{-7, 3, " hello", false},
	}
	for _, tt := range tests {
		got := tok.Decode(tt.prev, tt.id)
		if (got == nil) != tt.isNil || string(got) != tt.want {
			t.Errorf("Decode(%d, %d) = %q (nil %v), want %q (nil %v)", tt.prev, tt.id, got, got == nil, tt.want, tt.isNil)
		}
	}
}

func TestDecodeResultCannotClobberVocabulary(t *testing.T) {
	tok := mustParse(t, []entry{{0, "<unk>"}, {0, "ab"}, {0, "cd"}, {0, "<0x41>"}})
	_ = append(tok.Decode(0, 1), 'X')
	_ = append(tok.Decode(0, 3), 'X')
	if got := string(tok.Piece(2)); got != "cd" {
		t.Errorf("Piece(2) = %q after appending to a decoded piece, want %q", got, "cd")
	}
	if got := string(tok.Decode(0, 3)); got != "A" {
		t.Errorf("Decode(0, 3) = %q, want %q", got, "A")
	}
}

func TestDecodeDoesNotAllocate(t *testing.T) {
	tok, err := ByteLevel(512)
	if err != nil {
		t.Fatal(err)
	}
	cases := [][2]int{{BOS, 300}, {5, 300}, {7, 3 + 'x'}, {BOS, 3 + ' '}, {0, 9999}}
	for _, c := range cases {
		if n := testing.AllocsPerRun(100, func() { tok.Decode(c[0], c[1]) }); n != 0 {
			t.Errorf("Decode(%d, %d) allocates %v times per call", c[0], c[1], n)
		}
	}
}
