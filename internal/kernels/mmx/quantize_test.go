package mmx

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/retrollama/retrollama/internal/kernels/kerneltest"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// checkQuantize fails unless quantize gives scalar.Quantize's values and
// scales for x in groups of gs.
func checkQuantize(t *testing.T, what string, x []float32, gs int) {
	t.Helper()
	ng := len(x) / gs
	wantQ, wantS := make([]int8, len(x)), make([]float32, ng)
	scalar.Quantize(wantQ, wantS, x, gs)
	// Guard bytes after q and xs catch stray writes.
	gotQ, gotS := make([]int8, len(x)+8), make([]float32, ng+2)
	for i := range gotQ {
		gotQ[i] = 0x5A
	}
	for i := range gotS {
		gotS[i] = math.Float32frombits(0x7FC0BEEF)
	}
	quantize(gotQ[:len(x)], gotS[:ng], x, gs)
	for g := range ng {
		if math.Float32bits(gotS[g]) != math.Float32bits(wantS[g]) {
			t.Fatalf("%s: group %d scale %v (%#08x), want %v (%#08x); group %v",
				what, g, gotS[g], math.Float32bits(gotS[g]), wantS[g], math.Float32bits(wantS[g]), x[g*gs:(g+1)*gs])
		}
	}
	for i := range x {
		if gotQ[i] != wantQ[i] {
			g := i / gs
			t.Fatalf("%s: q[%d] = %d, want %d: x = %v (%#08x), scale %v (%#08x), x/scale = %v",
				what, i, gotQ[i], wantQ[i], x[i], math.Float32bits(x[i]), wantS[g], math.Float32bits(wantS[g]), x[i]/wantS[g])
		}
	}
	for i := len(x); i < len(gotQ); i++ {
		if gotQ[i] != 0x5A {
			t.Fatalf("%s: wrote q[%d] past the %d values", what, i, len(x))
		}
	}
	for g := ng; g < len(gotS); g++ {
		if math.Float32bits(gotS[g]) != 0x7FC0BEEF {
			t.Fatalf("%s: wrote xs[%d] past the %d groups", what, g, ng)
		}
	}
}

// groupSizes are the group sizes the tests cover: runq.c's (powers of
// two up to 64), and odd, non-power-of-two and large ones.
var groupSizes = []int{1, 2, 3, 4, 8, 12, 16, 20, 32, 64}

func TestQuantizeRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, gs := range groupSizes {
		for _, groups := range []int{1, 2, 5} {
			x := kerneltest.Random(r, gs*groups)
			checkQuantize(t, fmt.Sprintf("uniform gs=%d groups=%d", gs, groups), x, gs)
			for i := range x { // magnitudes over many binades
				x[i] = float32(math.Ldexp(float64(x[i]), r.IntN(80)-40))
			}
			checkQuantize(t, fmt.Sprintf("scaled gs=%d groups=%d", gs, groups), x, gs)
		}
	}
	checkQuantize(t, "kerneltest.Stories15M() width", kerneltest.Random(r, 768), 32)
	checkQuantize(t, "empty", nil, 4)
}

// TestQuantizeBits quantizes groups of random bit patterns: every sign,
// exponent (subnormals, infinities, NaNs with any payload) and mantissa.
func TestQuantizeBits(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	n := 1 << 16
	if testing.Short() {
		n = 1 << 12
	}
	for _, gs := range []int{1, 2, 4, 7, 8, 32} {
		x := make([]float32, n/gs*gs)
		for i := range x {
			x[i] = math.Float32frombits(r.Uint32())
		}
		checkQuantize(t, fmt.Sprintf("random bits gs=%d", gs), x, gs)
		// Narrower exponent ranges, so that groups mix values of
		// comparable size: exponents of one binade window per group.
		for g := 0; g < len(x); g += gs {
			e := uint32(r.IntN(256))
			for i := g; i < g+gs; i++ {
				ei := min(max(int(e)+r.IntN(9)-4, 0), 255)
				x[i] = math.Float32frombits(r.Uint32()&0x807FFFFF | uint32(ei)<<23)
			}
		}
		checkQuantize(t, fmt.Sprintf("random bits, close exponents gs=%d", gs), x, gs)
	}
}

// TestQuantizeSpecials covers the values scalar.Quantize documents:
// all-zero groups (0/0 = NaN gives 0), signed zeros, infinities, NaNs,
// subnormal groups whose scale is subnormal or zero, and the largest
// floats.
func TestQuantizeSpecials(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	sub := math.Float32frombits(1) // 2^-149
	maxf := float32(math.MaxFloat32)
	negZero := math.Float32frombits(1 << 31)
	groups := [][]float32{
		{0, 0, 0, 0},
		{negZero, 0, negZero, negZero},
		{1, -1, 0.5, -0.5},
		{127, 63.5, -63.5, 0.5},
		{inf, 1, -1, 0},
		{-inf, inf, 0, 3},
		{nan, 1, -2, 0.25},
		{nan, nan, nan, nan},
		{nan, 0, 0, 0},
		{maxf, -maxf, maxf / 2, 1},
		{sub, -sub, 0, sub},
		{63 * sub, 64 * sub, sub, -32 * sub},                 // scale rounds to 0: x/0 = ±Inf
		{190 * sub, 95 * sub, -190 * sub, sub},               // scale 2^-149: q up to 190 wraps
		{200 * sub, 150 * sub, 100 * sub, -sub},              // wraps to negative
		{math.Float32frombits(0x00800000), 1e-39, -1e-40, 0}, // wmax the smallest normal
		{1e-30, 1e-35, -1e-32, 3e-31},
		{1e30, 1e25, -3e29, 7e29},
		{1, 1e-45, -1e-44, 1e-40}, // x/scale subnormal
	}
	for i, g := range groups {
		checkQuantize(t, fmt.Sprintf("special group %d %v", i, g), g, 4)
	}
	// Scales wmax/127 next to a midpoint of the subnormal grid: wmax =
	// W·2^-149 (bits W) with W mod 127 = 63 or 64 and W/127 ≈ 2^16 or
	// 2^17, where a division rounded to 24 bits first lands exactly on the
	// midpoint and the tie then goes to even, one unit off.
	var x []float32
	for _, m := range []uint32{1 << 16, 1<<16 + 1, 98765, 1 << 17, 1<<17 + 1, 1<<17 + 3, 132101} {
		for _, r := range []uint32{63, 64} {
			w := math.Float32frombits(127*m + r)
			x = append(x, w, -w/3, w/2, math.Float32frombits(127*m+r-1))
		}
	}
	checkQuantize(t, "scales next to subnormal midpoints", x, 4)
}

// TestQuantizeMidpoints sweeps values v = x/scale around every half
// integer k+0.5 (where rounding half away from zero and ties-to-even
// differ, and where a double rounding of x/scale would show) for scales
// from subnormal to huge: each x is one of 2·17 floats nearest
// (k+0.5)·scale, in groups of 8 led by ±wmax.
func TestQuantizeMidpoints(t *testing.T) {
	wmaxes := []float32{1, 127, 0.3, 3.7e-3, 2.5e-7, 1e-30, 1e30, 3e38, math.MaxFloat32,
		math.Float32frombits(0x00800000), // smallest normal: scale subnormal
		math.Float32frombits(0x00012345), // subnormal wmax
		math.Float32frombits(127 * 3),    // scale exactly 3·2^-149
		math.Float32frombits(190),        // scale 2^-149, q up to 190
		1.5, 0.999999, 100, 1024.125, 5.960464e-08}
	steps := 8
	if testing.Short() {
		steps = 2
	}
	var x []float32
	for wi, wmax := range wmaxes {
		scale := wmax / 127
		kmax := 128
		if scale != 0 && wmax/scale > 128 {
			kmax = int(wmax/scale) + 1
		}
		sign := float32(1)
		if wi%2 == 1 {
			sign = -1
		}
		group := []float32{sign * wmax}
		for k := range kmax {
			c := float32((float64(k) + 0.5) * float64(scale))
			for s := -steps; s <= steps; s++ {
				v := math.Float32frombits(uint32(int32(math.Float32bits(c)) + int32(s)))
				if !(v <= wmax) {
					continue
				}
				if (k+s)%2 == 0 {
					v = -v
				}
				group = append(group, v)
				if len(group) == 8 {
					x = append(x, group...)
					group = []float32{sign * wmax}
				}
			}
		}
		for len(group) < 8 {
			group = append(group, 0)
		}
		x = append(x, group...)
	}
	checkQuantize(t, "midpoints", x, 8)
	t.Logf("%d values around half-integer multiples of %d scales", len(x), len(wmaxes))
}

// TestQuantizeWindow quantizes every float32 in windows of 2^17
// consecutive values (about 4 quantization steps each, every value in
// between) for a few scales, in groups of 4 led by wmax.
func TestQuantizeWindow(t *testing.T) {
	n := 1 << 17
	if testing.Short() {
		n = 1 << 12
	}
	for _, wmax := range []float32{1, 0.3, 7.4e-20, 3.3e25} {
		scale := wmax / 127
		start := math.Float32bits(float32(60.5*float64(scale))) - uint32(n/2)
		x := make([]float32, 0, n/3*4+4)
		for i := 0; i < n; i++ {
			if i%3 == 0 {
				x = append(x, wmax)
			}
			x = append(x, math.Float32frombits(start+uint32(i)))
		}
		for len(x)%4 != 0 {
			x = append(x, 0)
		}
		checkQuantize(t, fmt.Sprintf("window of %d values, wmax %v", n, wmax), x, 4)
	}
}
