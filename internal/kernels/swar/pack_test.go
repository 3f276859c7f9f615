package swar

import (
	"math/rand/v2"
	"testing"
)

// edges are the int8 values where packing and extraction can go wrong.
var edges = []int8{-128, -127, -64, -2, -1, 0, 1, 2, 63, 126, 127}

// packedDot packs w and x (the same length, at most subBlock) as one
// sub-block and returns the extracted sum of their products.
func packedDot(w, x []int8) int32 {
	l := newLayout(len(w), len(w))
	pw, px := make([]uint64, l.words()), make([]uint64, l.words())
	l.pack(pw, 1, w, false)
	l.pack(px, 1, x, true)
	var acc uint64
	for k := range pw {
		acc += pw[k] * px[k]
	}
	return extract(acc)
}

func naiveDot(w, x []int8) int32 {
	var s int32
	for i := range w {
		s += int32(w[i]) * int32(x[i])
	}
	return s
}

// TestOneWordExhaustive: every triple of edge values against every other,
// and each slot of a word against every int8 pair.
func TestOneWordExhaustive(t *testing.T) {
	for _, a := range edges {
		for _, b := range edges {
			for _, c := range edges {
				w := []int8{a, b, c}
				for _, d := range edges {
					for _, e := range edges {
						for _, f := range edges {
							x := []int8{d, e, f}
							if got, want := packedDot(w, x), naiveDot(w, x); got != want {
								t.Fatalf("w %v x %v: %d, want %d", w, x, got, want)
							}
						}
					}
				}
			}
		}
	}
	for slot := range 3 {
		for a := -128; a <= 127; a++ {
			for b := -128; b <= 127; b++ {
				w, x := []int8{-128, 127, -1}, []int8{127, -128, 1}
				w[slot], x[slot] = int8(a), int8(b)
				if got, want := packedDot(w, x), naiveDot(w, x); got != want {
					t.Fatalf("w %v x %v: %d, want %d", w, x, got, want)
				}
			}
		}
	}
}

// TestSubBlockBounds: every sub-block length, with the extreme sums (all
// products 128·128, the most positive, or -128·127, the most negative),
// and random values.
func TestSubBlockBounds(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	fill := func(n int, v int8) []int8 {
		s := make([]int8, n)
		for i := range s {
			s[i] = v
		}
		return s
	}
	for n := 1; n <= subBlock; n++ {
		cases := [][2][]int8{
			{fill(n, -128), fill(n, -128)},
			{fill(n, -128), fill(n, 127)},
			{fill(n, 127), fill(n, -128)},
			{fill(n, 127), fill(n, 127)},
			{fill(n, -128), fill(n, -127)},
			{fill(n, 0), fill(n, -128)},
		}
		for range 2000 {
			w, x := make([]int8, n), make([]int8, n)
			for i := range w {
				w[i], x[i] = int8(r.Uint32()), int8(r.Uint32())
				if r.IntN(4) == 0 {
					w[i] = edges[r.IntN(len(edges))]
				}
				if r.IntN(4) == 0 {
					x[i] = edges[r.IntN(len(edges))]
				}
			}
			cases = append(cases, [2][]int8{w, x})
		}
		for _, c := range cases {
			if got, want := packedDot(c[0], c[1]), naiveDot(c[0], c[1]); got != want {
				t.Fatalf("n=%d w %v x %v: %d, want %d", n, c[0], c[1], got, want)
			}
		}
	}
}

// TestSubBlockLimitIsTight: one value more than subBlock and the field
// overflows, which is why groups are cut into sub-blocks of 32.
func TestSubBlockLimitIsTight(t *testing.T) {
	const n = subBlock + 1
	var acc uint64
	for range n / 3 {
		w, x := pack3(-128, -128, -128), pack3(-128, -128, -128)
		acc += w * x
	}
	if got, want := extract(acc), int32(n*128*128); got == want {
		t.Fatalf("%d values of 128·128 extract correctly; subBlock could be larger", n)
	}
}

func TestLayout(t *testing.T) {
	tests := []struct{ gs, full, tail, cols int }{
		{1, 0, 1, 3},
		{2, 0, 1, 4},
		{3, 0, 1, 3},
		{4, 0, 2, 8},
		{30, 0, 10, 30},
		{31, 0, 11, 31},
		{32, 1, 0, 64},
		{33, 1, 1, 33},
		{64, 2, 0, 128},
		{96, 3, 0, 96},
		{100, 3, 2, 100},
	}
	for _, tc := range tests {
		l := newLayout(tc.cols, tc.gs)
		wpg := 11*tc.full + tc.tail
		if l.full != tc.full || l.tail != tc.tail || l.wpg != wpg || l.words() != wpg*tc.cols/tc.gs {
			t.Errorf("gs %d: %+v, want %d full sub-blocks and a tail of %d words", tc.gs, l, tc.full, tc.tail)
		}
	}
}
