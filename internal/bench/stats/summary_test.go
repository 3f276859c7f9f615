package stats

import (
	"math"
	"slices"
	"testing"
)

func TestSummarize(t *testing.T) {
	tests := []struct {
		name           string
		in             []float64
		n              int
		median, lo, hi float64
	}{
		{"empty", nil, 0, 0, 0, 0},
		// Binomial order statistics 2 and 8 give ≥95% for n=9.
		{"1..9", []float64{9, 1, 8, 2, 7, 3, 6, 4, 5}, 9, 5, 2, 8},
		// Too small for a 95% interval: falls back to min..max.
		{"n=3", []float64{3, 1, 2}, 3, 2, 1, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := slices.Clone(tt.in)
			got := Summarize(tt.in)
			if got.N != tt.n || got.Median != tt.median || got.Lo != tt.lo || got.Hi != tt.hi {
				t.Errorf("Summarize = %+v; want N=%d median=%v CI [%v, %v]", got, tt.n, tt.median, tt.lo, tt.hi)
			}
			if !slices.Equal(tt.in, orig) {
				t.Errorf("Summarize reordered its input: %v", tt.in)
			}
		})
	}
}

func TestHalfWidth(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{"1..9", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}, (8 - 2) / 2.0 / 5},
		{"constant", []float64{7, 7, 7, 7, 7, 7, 7}, 0},
		{"too small", []float64{1, 2, 3, 4, 5}, math.Inf(1)},
		{"empty", nil, math.Inf(1)},
	}
	for _, tt := range tests {
		if got := HalfWidth(tt.in); math.Abs(got-tt.want) > 1e-12 && got != tt.want {
			t.Errorf("HalfWidth(%s) = %v; want %v", tt.name, got, tt.want)
		}
	}
}
