package stats

import "testing"

func TestVerdict(t *testing.T) {
	tests := []struct {
		name string
		s    Speedup
		want string
	}{
		{"faster", Speedup{Ratio: 1.77, Lo: 1.70, Hi: 1.84, P: 0.00031, NA: 10, NB: 10, Significant: true, Exact: true},
			"B is 1.77× faster than A [95% CI 1.70×…1.84×] p=0.00031 (Mann-Whitney U, n=10+10)"},
		{"slower inverts", Speedup{Ratio: 0.8, Lo: 0.7633, Hi: 0.8333, P: 0.0011, NA: 10, NB: 12, Significant: true, Exact: true},
			"B is 1.25× slower than A [95% CI 1.20×…1.31×] p=0.0011 (Mann-Whitney U, n=10+12)"},
		{"no difference", Speedup{Ratio: 1.01, Lo: 0.98, Hi: 1.04, P: 0.4123, NA: 10, NB: 10, Exact: true},
			"no significant difference between B and A (B/A = 1.01× [95% CI 0.98×…1.04×], p=0.41, Mann-Whitney U, n=10+10)"},
		{"CI excludes 1 but p too big", Speedup{Ratio: 1.5, Lo: 1.1, Hi: 2, P: 0.1, NA: 3, NB: 3},
			"no significant difference between B and A (B/A = 1.50× [range 1.10×…2.00×], p=0.1, Mann-Whitney U, n=3+3)"},
		{"tiny p", Speedup{Ratio: 2, Lo: 1.9, Hi: 2.1, P: 1e-9, NA: 100, NB: 100, Significant: true, Exact: true},
			"B is 2.00× faster than A [95% CI 1.90×…2.10×] p<0.000001 (Mann-Whitney U, n=100+100)"},
	}
	for _, tt := range tests {
		if got := tt.s.Verdict("A", "B"); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

func TestFormatP(t *testing.T) {
	tests := []struct {
		p    float64
		want string
	}{
		{0.41, "p=0.41"}, {0.4149, "p=0.41"}, {0.0003, "p=0.0003"}, {1.0825e-5, "p=0.000011"},
		{1, "p=1"}, {0.05, "p=0.05"}, {0.04999, "p=0.05"}, {5e-7, "p<0.000001"},
	}
	for _, tt := range tests {
		if got := formatP(tt.p); got != tt.want {
			t.Errorf("formatP(%v) = %q; want %q", tt.p, got, tt.want)
		}
	}
}
