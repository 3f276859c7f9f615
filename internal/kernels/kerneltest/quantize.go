package kerneltest

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/retrollama/retrollama/kernels/scalar"
)

// A FastQuantizer quantizes x in groups of gs into q and s as the
// reference's quantizer does, or reports false for the inputs it hands
// back to it: x holds a NaN, or a group's scale is not a normal number.
// The AVX2 and AVX-512 providers quantize x this way in assembly. tb is
// the calling test, for a quantizer's checks of its own outputs.
type FastQuantizer func(tb testing.TB, q []int8, s []float32, x []float32, gs int) bool

// CheckFastQuantizer compares quantize with the reference's quantizer on
// x: where it reports success, every int8 and scale must be the
// reference's; where the reference's scales are all normal and x has no
// NaN, it must report success; nothing past the outputs is written.
func CheckFastQuantizer(tb testing.TB, quantize FastQuantizer, x []float32, gs int) {
	tb.Helper()
	n := len(x) / gs * gs
	x, groups := x[:n], n/gs
	wantQ, wantS := make([]int8, n), make([]float32, groups)
	scalar.Quantize(wantQ, wantS, x, gs)
	const guard = 16
	gotQ, gotS := make([]int8, n+guard), make([]float32, groups+guard)
	ok := quantize(tb, gotQ[:n], gotS[:groups], x, gs)
	if slices.ContainsFunc(gotQ[n:], func(v int8) bool { return v != 0 }) ||
		slices.ContainsFunc(gotS[groups:], func(v float32) bool { return v != 0 }) {
		tb.Fatal("wrote past the outputs")
	}
	usable := !slices.ContainsFunc(x, func(v float32) bool { return v != v }) &&
		!slices.ContainsFunc(wantS, func(s float32) bool { return !(s >= 0x1p-126 && s <= math.MaxFloat32) })
	if ok != usable {
		tb.Fatalf("quantizer reports %v, want %v (scales %v)", ok, usable, wantS)
	}
	if !ok {
		return
	}
	for g, s := range wantS {
		if math.Float32bits(gotS[g]) != math.Float32bits(s) {
			tb.Fatalf("scale %d = %v, reference %v", g, gotS[g], s)
		}
	}
	for i, q := range wantQ {
		if gotQ[i] != q {
			tb.Fatalf("q[%d] = %d, reference %d (x %v, scale %v)", i, gotQ[i], q, x[i], wantS[i/gs])
		}
	}
}

// TestFastQuantizer checks quantize (with CheckFastQuantizer) on 300
// vectors of one to five groups for each group size: uniform values,
// exact halves (which round away from zero), magnitudes from tiny to
// huge; and, in groups of 32, on the groups it must hand back (zero,
// subnormal, infinite, NaN) and on the edges around them.
func TestFastQuantizer(t *testing.T, quantize FastQuantizer, groupSizes []int, r *rand.Rand) {
	t.Helper()
	for _, gs := range groupSizes {
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
			CheckFastQuantizer(t, quantize, x, gs)
		}
	}
	base := Random(r, 64)
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
			CheckFastQuantizer(t, quantize, x, 32)
		})
	}
}

// FuzzFastQuantizer fuzzes quantize against the reference's quantizer
// (CheckFastQuantizer, groups of 32) on the n = whole groups of values
// that floats makes of the fuzzer's bytes; it skips f where usable, why
// provider name cannot run here, is not nil.
func FuzzFastQuantizer(f *testing.F, name string, usable error, quantize FastQuantizer, floats func(b []byte, n int) []float32) {
	if usable != nil {
		f.Skip(name+": ", usable)
	}
	f.Add(make([]byte, 128))
	f.Add([]byte("\x00\x00\xfe\x42\x00\x00\x00\x3f\x00\x00\xc0\x3f\x00\x00\x00\xbf and more bytes to fill a group...."))
	f.Fuzz(func(t *testing.T, b []byte) {
		x := floats(b, (len(b)/4+31)/32*32)
		if len(x) > 0 {
			CheckFastQuantizer(t, quantize, x, 32)
		}
	})
}
