package stats

import "testing"

// TestLowerCriticalU checks the exact critical values against published
// two-sided alpha=0.05 Mann–Whitney tables.
func TestLowerCriticalU(t *testing.T) {
	tests := []struct {
		n1, n2 int
		want   int
		ok     bool
	}{
		{2, 2, -1, false},
		{3, 3, -1, false},
		{2, 8, 0, true},
		{3, 5, 0, true},
		{4, 4, 0, true},
		{5, 5, 2, true},
		{6, 6, 5, true},
		{7, 7, 8, true},
		{8, 8, 13, true},
		{5, 10, 8, true},
		{10, 5, 8, true},
		{10, 10, 23, true},
		{20, 20, 127, true},
	}
	for _, tt := range tests {
		got, ok := lowerCriticalU(tt.n1, tt.n2, 0.05)
		if got != tt.want || ok != tt.ok {
			t.Errorf("lowerCriticalU(%d, %d) = %d, %v; want %d, %v", tt.n1, tt.n2, got, ok, tt.want, tt.ok)
		}
	}
}

// TestNormalCriticalUMatchesExact checks that the large-sample normal
// approximation agrees with the exact distribution where both apply.
func TestNormalCriticalUMatchesExact(t *testing.T) {
	for _, n := range [][2]int{{20, 20}, {30, 30}, {40, 25}, {50, 50}} {
		exact, _ := exactLowerCriticalU(n[0], n[1], 0.05)
		approx, _ := normalLowerCriticalU(n[0], n[1], 0.05)
		if d := exact - approx; d < -1 || d > 1 {
			t.Errorf("n=%d+%d: exact %d, normal approximation %d", n[0], n[1], exact, approx)
		}
	}
}
