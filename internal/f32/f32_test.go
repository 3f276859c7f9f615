package f32

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Reference implementations, written independently of f32_generic.go.
func refAdd(x, y []float32) {
	for i := range x {
		x[i] = float32(x[i] + y[i])
	}
}

func refSearch(p []float32, coin float32) int {
	var cdf float32
	for i, v := range p {
		cdf = float32(cdf + v)
		if coin < cdf {
			return i
		}
	}
	return -1
}

func refArgmax(x []float32) int {
	best := 0
	for i := range x {
		if x[i] > x[best] {
			best = i
		}
	}
	return best
}

// values mixes ordinary numbers with the awkward ones: signed zeros,
// subnormals, huge values, infinities and NaN.
func values(r *rand.Rand, n int, specials bool) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(9)-4)))
		if specials && r.IntN(16) == 0 {
			v[i] = []float32{0, float32(math.Copysign(0, -1)), 1e-40, -3e-39, 3e38, -3e38,
				float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}[r.IntN(9)]
		}
	}
	return v
}

// same reports bit-identical results, with one documented exception: a
// float32 subnormal result (|r| < 2^-126) may differ by one unit in its
// last place, as x87 rounds it twice (to 24 bits in its wider exponent
// range, then to the subnormal's precision on the store).
func same(a, b float32) bool {
	if math.Float32bits(a) == math.Float32bits(b) || a != a && b != b {
		return true
	}
	const smallestNormal = 0x1p-126
	if abs(b) < smallestNormal || abs(a) < smallestNormal {
		d := int64(math.Float32bits(a)) - int64(math.Float32bits(b))
		return d == 1 || d == -1
	}
	return false
}

func abs(v float32) float32 { return float32(math.Abs(float64(v))) }

// TestAddDiv: bit for bit the float32 result, over lengths 1..70 and
// special values, with the elements beyond len(x) untouched.
func TestAddDiv(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 1; n <= 70; n++ {
		for _, specials := range []bool{false, true} {
			x, y := values(r, n+4, specials), values(r, n+4, specials)
			want := append([]float32(nil), x...)
			refAdd(want[:n], y)
			got := append([]float32(nil), x...)
			Add(got[:n], y)
			for i := range got {
				if !same(got[i], want[i]) {
					t.Fatalf("Add n=%d: x[%d] = %v (%#x), want %v (%#x)", n, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
				}
			}
			d := y[0]
			if d == 0 {
				d = 0.7
			}
			want = append([]float32(nil), x...)
			for i := range want[:n] {
				want[i] = float32(want[i] / d)
			}
			got = append([]float32(nil), x...)
			Div(got[:n], d)
			for i := range got {
				if !same(got[i], want[i]) {
					t.Fatalf("Div n=%d by %v: x[%d] = %v, want %v", n, d, i, got[i], want[i])
				}
			}
		}
	}
}

// TestDivRoundsOnce: a division whose exact quotient lies between two
// float32s rounds once, to nearest even, as float32 division does
// (x87 in extended precision would round differently after the store).
func TestDivRoundsOnce(t *testing.T) {
	for _, c := range []struct{ x, d float32 }{{1, 3}, {2, 3}, {1, 10}, {0.1, 0.3}, {16777215, 2}, {1e-38, 3}} {
		x := []float32{c.x}
		Div(x, c.d)
		if want := c.x / c.d; !same(x[0], want) {
			t.Errorf("%v/%v = %v, want %v", c.x, c.d, x[0], want)
		}
	}
}

func TestArgmax(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	tests := []struct {
		x    []float32
		want int
	}{
		{nil, 0}, {[]float32{5}, 0}, {[]float32{1, 3, 3, 2}, 1}, {[]float32{-1, -0.5, -2}, 1},
		{[]float32{nan, 1, 2}, 0}, {[]float32{1, nan, 2}, 2}, {[]float32{1, inf, nan, inf}, 1},
		{[]float32{0, float32(math.Copysign(0, -1))}, 0},
	}
	for _, tt := range tests {
		if got := Argmax(tt.x); got != tt.want {
			t.Errorf("Argmax(%v) = %d, want %d", tt.x, got, tt.want)
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for n := 1; n < 600; n += 7 {
		x := values(r, n, false)
		if got, want := Argmax(x), refArgmax(x); got != want {
			t.Fatalf("Argmax of %d values = %d, want %d", n, got, want)
		}
	}
}

func TestSearch(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for n := 1; n < 600; n += 3 {
		p := make([]float32, n)
		var sum float32
		for i := range p {
			p[i] = float32(r.Float64())
			sum += p[i]
		}
		for i := range p {
			p[i] /= sum
		}
		for _, coin := range []float32{0, float32(r.Float64()), 0.5, 0.9999999, 1, 2} {
			if got, want := Search(p, coin), refSearch(p, coin); got != want {
				t.Fatalf("Search(%d probabilities, %v) = %d, want %d", n, coin, got, want)
			}
		}
	}
	if got := Search(nil, 0.5); got != -1 {
		t.Errorf("Search(nil) = %d", got)
	}
	if got := Search([]float32{float32(math.NaN()), 1}, 0.5); got != -1 {
		t.Errorf("Search with NaN first = %d, want -1 (NaN poisons the sum)", got)
	}
	if got := Search([]float32{0.25, 0.25, 0.5}, 0.5); got != 2 {
		t.Errorf("Search at an exact boundary = %d, want 2 (coin < cdf is strict)", got)
	}
}

// TestScaleInt8: every int8 times scales from the smallest subnormal to
// the largest float32, zeros, infinities and a NaN, against Go's float32
// multiply, bit for bit (on 386 the x87 path and its Go fallback).
func TestScaleInt8(t *testing.T) {
	q := make([]int8, 256)
	for i := range q {
		q[i] = int8(i - 128)
	}
	scales := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 1.0 / 127, 3.5e-3, math.SmallestNonzeroFloat32,
		math.Float32frombits(0x00400000), math.Float32frombits(0x04000000), math.Float32frombits(0x04800000),
		math.Float32frombits(0x03ffffff), 1e30, math.MaxFloat32, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	for _, s := range scales {
		got := make([]float32, len(q)+1)
		got[len(q)] = 42 // guard
		ScaleInt8(got[:len(q)], q, s)
		for i, v := range q {
			want := float32(v) * s
			if math.Float32bits(got[i]) != math.Float32bits(want) && !(want != want && got[i] != got[i]) {
				t.Fatalf("scale %g (%#08x): q %d gives %g (%#08x), want %g (%#08x)", s, math.Float32bits(s), v, got[i], math.Float32bits(got[i]), want, math.Float32bits(want))
			}
		}
		if got[len(q)] != 42 {
			t.Fatalf("scale %g: wrote past dst", s)
		}
	}
	ScaleInt8(nil, nil, 1) // nothing to do
}
