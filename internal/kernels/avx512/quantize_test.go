package avx512

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/retrollama/retrollama/kernels/scalar"
)

// checkQuantize compares quantizeFast with the reference's quantizer on
// x: where it reports success, every int8, scale and correction must be
// the reference's; where the reference's scales are all normal and x
// has no NaN, it must report success; nothing past the outputs is
// written.
func checkQuantize(t *testing.T, x []float32, gs int) {
	t.Helper()
	n := len(x) / gs * gs
	x, groups := x[:n], n/gs
	wantQ, wantS := make([]int8, n), make([]float32, groups)
	scalar.Quantize(wantQ, wantS, x, gs)
	const guard = 16
	gotQ, gotS, gotC := make([]int8, n+guard), make([]float32, groups+guard), make([]int32, groups+guard)
	ok := quantizeFast(gotQ[:n], gotS[:groups], gotC[:groups], x, gs)
	if slices.ContainsFunc(gotQ[n:], func(v int8) bool { return v != 0 }) ||
		slices.ContainsFunc(gotS[groups:], func(v float32) bool { return v != 0 }) ||
		slices.ContainsFunc(gotC[groups:], func(v int32) bool { return v != 0 }) {
		t.Fatal("wrote past the outputs")
	}
	usable := !slices.ContainsFunc(x, func(v float32) bool { return v != v }) &&
		!slices.ContainsFunc(wantS, func(s float32) bool { return !(s >= 0x1p-126 && s <= math.MaxFloat32) })
	if ok != usable {
		t.Fatalf("quantizeFast reports %v, want %v (scales %v)", ok, usable, wantS)
	}
	if !ok {
		return
	}
	for g, s := range wantS {
		if math.Float32bits(gotS[g]) != math.Float32bits(s) {
			t.Fatalf("scale %d = %v, reference %v", g, gotS[g], s)
		}
		var sum int32
		for _, q := range wantQ[g*gs : (g+1)*gs] {
			sum += int32(q)
		}
		if gotC[g] != 128*sum {
			t.Fatalf("corr %d = %d, want 128·%d", g, gotC[g], sum)
		}
	}
	for i, q := range wantQ {
		if gotQ[i] != q {
			t.Fatalf("q[%d] = %d, reference %d (x %v, scale %v)", i, gotQ[i], q, x[i], wantS[i/gs])
		}
	}
}

// TestQuantizeMatchesReference: the assembly's quantization of x is the
// reference's bit for bit: uniform values, exact halves (which round away
// from zero), magnitudes from tiny to huge, and the groups it must hand
// back (zero, subnormal, infinite, NaN).
func TestQuantizeMatchesReference(t *testing.T) {
	skipWithout(t)
	r := rand.New(rand.NewPCG(11, 12))
	for _, gs := range []int{16, 32, 64, 128} {
		for trial := range 300 {
			x := make([]float32, gs*(1+trial%5))
			for i := range x {
				switch trial % 5 {
				case 0:
					x[i] = 2*r.Float32() - 1
				case 1: // exact halves: a maximum of 127 makes the scale 1
					x[i] = float32(r.IntN(255)-127) + 0.5*float32(r.IntN(2))
				case 2:
					x[i] = float32(math.Ldexp(r.Float64()-0.5, r.IntN(200)-100))
				case 3: // halves at another scale
					x[i] = float32(r.IntN(255)-127) * 0.5
				default:
					x[i] = float32(r.NormFloat64())
				}
			}
			if trial%5 == 1 || trial%5 == 3 {
				x[0] = 127
			}
			checkQuantize(t, x, gs)
		}
	}
	base := make([]float32, 64)
	for i := range base {
		base[i] = 2*r.Float32() - 1
	}
	for name, edit := range map[string]func(x []float32){
		"zero group":      func(x []float32) { clear(x[:32]) },
		"subnormal group": func(x []float32) { clear(x[:32]); x[3] = 1e-40 },
		"tiny scale":      func(x []float32) { clear(x[:32]); x[3] = 1e-36 },
		"infinity":        func(x []float32) { x[40] = float32(math.Inf(-1)) },
		"NaN":             func(x []float32) { x[5] = float32(math.NaN()) },
		"huge":            func(x []float32) { x[7] = math.MaxFloat32 },
		"negative zeros":  func(x []float32) { x[9], x[10] = float32(math.Copysign(0, -1)), -1e-30 },
	} {
		t.Run(name, func(t *testing.T) {
			x := slices.Clone(base)
			edit(x)
			checkQuantize(t, x, 32)
		})
	}
}

// FuzzQuantize: differential fuzzing of the assembly quantizer against
// the reference's, on any float32 bit patterns.
func FuzzQuantize(f *testing.F) {
	if Usable() != nil {
		f.Skip("avx512: ", Usable())
	}
	f.Add(make([]byte, 128))
	f.Add([]byte("\x00\x00\xfe\x42\x00\x00\x00\x3f\x00\x00\xc0\x3f\x00\x00\x00\xbf and more bytes to fill a group...."))
	f.Fuzz(func(t *testing.T, b []byte) {
		x := floats(b, (len(b)/4+31)/32*32, 0)
		if len(x) > 0 {
			checkQuantize(t, x, 32)
		}
	})
}
