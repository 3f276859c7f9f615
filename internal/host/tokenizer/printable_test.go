package tokenizer

import "testing"

func TestPrintable(t *testing.T) {
	tests := []struct {
		name  string
		piece string
		want  string
		isNil bool
	}{
		{"empty", "", "", true},
		{"NUL byte", "\x00", "", true},
		{"control byte", "\x01", "", true},
		{"DEL", "\x7f", "", true},
		{"newline", "\n", "\n", false},
		{"tab", "\t", "\t", false},
		{"vertical tab", "\v", "\v", false},
		{"space", " ", " ", false},
		{"letter", "a", "a", false},
		{"tilde", "~", "~", false},
		{"stray high byte", "\xF0", "", true},
		{"multi-byte character", "é", "é", false},
		{"word", " hello", " hello", false},
		{"two control bytes", "\x01\x02", "\x01\x02", false},
		{"cut at NUL", "ab\x00cd", "ab", false},
		{"control before NUL", "\x01\x00x", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Printable([]byte(tt.piece))
			if (got == nil) != tt.isNil || string(got) != tt.want {
				t.Errorf("Printable(%q) = %q (nil %v), want %q (nil %v)", tt.piece, got, got == nil, tt.want, tt.isNil)
			}
		})
	}
}

func TestPrintableDoesNotAllocate(t *testing.T) {
	piece := []byte(" hello\x00")
	if n := testing.AllocsPerRun(100, func() { Printable(piece) }); n != 0 {
		t.Fatalf("Printable allocates %v times per call", n)
	}
}
