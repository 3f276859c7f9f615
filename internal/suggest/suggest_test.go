package suggest

import "testing"

func TestDidYouMean(t *testing.T) {
	names := []string{"reference", "fast", "avx2", "avx512", "plugin.goplugin"}
	cases := []struct{ given, want string }{
		{"fsat", ` Did you mean "fast"?`},
		{"avx3", ` Did you mean "avx2"?`},
		{"plugin.gopluginl", ` Did you mean "plugin.goplugin"?`},
		{"nothing-like-it", ""},
		{"", ""},
	}
	for _, c := range cases {
		if got := DidYouMean(c.given, names); got != c.want {
			t.Errorf("DidYouMean(%q) = %q, want %q", c.given, got, c.want)
		}
	}
}
