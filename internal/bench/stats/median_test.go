package stats

import (
	"math"
	"slices"
	"testing"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want float64 // NaN for none
	}{
		{"empty", nil, math.NaN()},
		{"one", []float64{7}, 7},
		{"two", []float64{4, 2}, 3},
		{"odd unsorted", []float64{9, 1, 8, 2, 7}, 7},
		{"even unsorted", []float64{10, 1, 4, 3}, 3.5},
		{"ties", []float64{5, 5, 1, 5}, 5},
		{"negative", []float64{-3, -1, -2}, -2},
		{"tokens/s", []float64{412.3, 405.1, 418.0, 409.9, 411.0, 407.2}, (409.9 + 411.0) / 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := slices.Clone(tt.in)
			got := Median(tt.in)
			if math.IsNaN(tt.want) != math.IsNaN(got) || !math.IsNaN(got) && got != tt.want {
				t.Errorf("Median(%v) = %v, want %v", tt.in, got, tt.want)
			}
			if !slices.Equal(tt.in, orig) {
				t.Errorf("Median reordered its input: %v", tt.in)
			}
		})
	}
}

// TestMedianMatchesTextbook checks Median against the sort-and-pick
// median the bench packages used before (four copies of it): equal for
// odd n, and within an ulp for even n.
func TestMedianMatchesTextbook(t *testing.T) {
	textbook := func(x []float64) float64 {
		s := slices.Clone(x)
		slices.Sort(s)
		n := len(s)
		if n%2 == 1 {
			return s[n/2]
		}
		return (s[n/2-1] + s[n/2]) / 2
	}
	seed := uint64(1)
	next := func() float64 { // xorshift: deterministic, no math/rand state
		seed ^= seed << 13
		seed ^= seed >> 7
		seed ^= seed << 17
		return float64(seed%1_000_000) / 997
	}
	for n := 1; n <= 301; n++ {
		x := make([]float64, n)
		for i := range x {
			x[i] = next()
		}
		got, want := Median(x), textbook(x)
		if n%2 == 1 && got != want || math.Abs(got-want) > 2*math.Abs(want)*0x1p-52 {
			t.Fatalf("n=%d: Median = %v, textbook median = %v", n, got, want)
		}
	}
}
