package table

import (
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	tab := New("NAME", "N").AlignRight(1)
	tab.Row("a", "1")
	tab.Row("longer", "22")
	want := "NAME     N\n------  --\na        1\nlonger  22\n"
	if got := tab.String(); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestFitWraps(t *testing.T) {
	cases := []struct {
		width int
	}{{80}, {100}, {120}}
	long := strings.Repeat("word ", 60)
	for _, c := range cases {
		tab := New("PROVIDER", "USABLE", "DESCRIPTION").Fit(c.width)
		tab.Row("builtin.avx512", "no: needs AVX-512 F, BW and VL (amd64) with ZMM state enabled by the OS", long)
		tab.Row("builtin.scalar", "yes", "short")
		out := tab.String()
		for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			if len(line) > c.width {
				t.Errorf("width %d: line of %d: %q", c.width, len(line), line)
			}
		}
		if !strings.Contains(out, "builtin.avx512") || strings.Count(out, "word") != 60 {
			t.Errorf("width %d: content lost:\n%s", c.width, out)
		}
	}
}
