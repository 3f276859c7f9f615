package x87

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/retrollama/retrollama/internal/kernels/kerneltest"
	"github.com/retrollama/retrollama/internal/ropetable"
)

// The kernel tests run each kernel on guarded buffers and compare it bit
// for bit with its Go version (generic.go), which is scalar's arithmetic.
// On 386 that checks the x87 assembly; elsewhere the kernels are the Go
// versions and the tests check the harness itself.

// checkGuarded runs kernel on guarded copies of out (filled with garbage
// it must overwrite) and of the inputs, and fails t unless out ends as
// want bit for bit, no guard changed and no input was modified.
func checkGuarded(t *testing.T, what string, want, out []float32, kernel func(out []float32, in [][]float32), in ...[]float32) {
	t.Helper()
	gout, gin := kerneltest.GuardedCopy(out), make([]kerneltest.Guarded, len(in))
	ins := make([][]float32, len(in))
	for i, v := range in {
		gin[i] = kerneltest.GuardedCopy(v)
		ins[i] = gin[i].S()
	}
	kernel(gout.S(), ins)
	kerneltest.AssertIdentical(t, what, gout.S(), want)
	gout.Check(t, what)
	for i, g := range gin {
		g.Check(t, label("%s input %d", what, i))
		unchanged(t, label("%s input %d", what, i), g.S(), in[i])
	}
}

func TestMatMul(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, rows := range []int{1, 2, 3, 4, 5, 7, 8, 9, 13, 64} {
		for _, cols := range sizes {
			for _, pad := range []int{0, 3} { // stride = cols + pad
				stride := cols + pad
				w := kerneltest.Uniform(r, (rows-1)*stride+cols, -0.1, 0.1)
				x := kerneltest.Uniform(r, cols, -2, 2)
				want := make([]float32, rows)
				genericMatMul(want, w, x, stride)
				checkGuarded(t, label("matMul %dx%d stride %d", rows, cols, stride), want, kerneltest.Uniform(r, rows, -1000, 1000),
					func(out []float32, in [][]float32) { matMul(out, in[0], in[1], stride) }, w, x)
			}
		}
	}
}

// TestMatMulZeros: sums of signed zeros (scalar's 0 + -0 + ... is +0,
// so a row whose products are all -0 sums to +0) and zero columns.
func TestMatMulZeros(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	negZero := float32(math.Copysign(0, -1))
	for _, rows := range []int{1, 3, 4, 5, 8, 9} {
		for _, cols := range []int{0, 1, 2, 4, 5, 9} {
			w := kerneltest.Uniform(r, rows*cols, -1, 1)
			for i := 0; i < rows; i += 2 { // even rows: all negative
				for j := range cols {
					w[i*cols+j] = -1 - r.Float32()
				}
			}
			for _, x := range [][]float32{make([]float32, cols), slices.Repeat([]float32{negZero}, cols)} {
				if len(x) > 0 && math.Signbit(float64(x[0])) { // -0·w: all -0 for positive w
					for i := range w {
						w[i] = -w[i]
					}
				}
				want := make([]float32, rows)
				genericMatMul(want, w, x, cols)
				gw, gx, gout := kerneltest.GuardedCopy(w), kerneltest.GuardedCopy(x), kerneltest.GuardedCopy(kerneltest.Uniform(r, rows, -1000, 1000))
				matMul(gout.S(), gw.S(), gx.S(), cols)
				what := label("matMul zeros %dx%d", rows, cols)
				for i, v := range gout.S() {
					if math.Float32bits(v) != math.Float32bits(want[i]) {
						t.Fatalf("%s: [%d] = %#08x, want %#08x", what, i, math.Float32bits(v), math.Float32bits(want[i]))
					}
				}
				gout.Check(t, what)
			}
		}
	}
}

func TestMatMulT(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 3, 5, 8, 37, 256} { // rows of v: positions
		for _, cols := range []int{1, 3, 4, 5, 7, 8, 48, 64} { // head sizes
			for _, pad := range []int{0, 5} {
				stride := cols + pad
				a := kerneltest.Uniform(r, n, 0, 1)
				v := kerneltest.Uniform(r, (n-1)*stride+cols, -1, 1)
				want := make([]float32, cols)
				genericMatMulT(want, a, v, stride)
				checkGuarded(t, label("matMulT %d rows × %d stride %d", n, cols, stride), want, kerneltest.Uniform(r, cols, -1000, 1000),
					func(out []float32, in [][]float32) { matMulT(out, in[0], in[1], stride) }, a, v)
			}
		}
	}
}

func TestRMSNorm(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range sizes {
		for _, scale := range []float32{1, 1e-3, 1e3} {
			x := kerneltest.Uniform(r, n, -2*scale, 2*scale)
			w := kerneltest.Uniform(r, n, 0.5, 1.5)
			want := make([]float32, n)
			genericRMSNorm(want, x, w)
			gx, gw, gout := kerneltest.GuardedCopy(x), kerneltest.GuardedCopy(w), kerneltest.GuardedCopy(kerneltest.Uniform(r, n, -1000, 1000))
			rmsNorm(gout.S(), gx.S(), gw.S())
			what := label("rmsNorm n=%d scale %g", n, scale)
			kerneltest.AssertIdentical(t, what, gout.S(), want)
			gout.Check(t, what)
			unchanged(t, what+" x", gx.S(), x)
			unchanged(t, what+" w", gw.S(), w)
			rmsNorm(gx.S(), gx.S(), gw.S())
			kerneltest.AssertIdentical(t, what+" in place", gx.S(), want)
			gx.Check(t, what+" in place")
		}
	}
}

func TestRoPE(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, hs := range []int{2, 4, 6, 8, 48, 64} {
		freq := ropetable.Frequencies(hs)
		cs := make([]float32, hs)
		for _, pos := range []int{0, 1, 7, 255, 4095} {
			ropetable.Row(cs, freq, pos)
			for _, heads := range []int{1, 3, 6} {
				v := kerneltest.Uniform(r, heads*hs, -2, 2)
				want := slices.Clone(v)
				genericRoPE(want, cs)
				gv, gcs := kerneltest.GuardedCopy(v), kerneltest.GuardedCopy(cs)
				rope(gv.S(), gcs.S())
				what := label("rope head size %d × %d pos %d", hs, heads, pos)
				kerneltest.AssertIdentical(t, what, gv.S(), want)
				gv.Check(t, what)
				unchanged(t, what+" cs", gcs.S(), cs)
			}
		}
	}
}

func TestDivide(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, n := range append([]int{0}, sizes...) {
		for _, d := range []float32{1, 3, 6.928203, 1e30, 1e-30} {
			x := kerneltest.Uniform(r, n, -10, 10)
			if n > 2 {
				x[0], x[1] = 1e-40, -3e-39 // subnormal quotients for d > 1
			}
			want := slices.Clone(x)
			genericDivide(want, d)
			gx := kerneltest.GuardedCopy(x)
			divide(gx.S(), d)
			what := label("divide n=%d by %g", n, d)
			kerneltest.AssertIdentical(t, what, gx.S(), want)
			gx.Check(t, what)
		}
	}
	// Subnormal quotients, where rounding to 24 bits first and then to
	// the subnormal's fewer bits would differ from rounding once.
	x := make([]float32, 4096)
	for i := range x {
		x[i] = math.Float32frombits(r.Uint32() & 0x80ffffff) // |x| < 2^-125
	}
	for _, d := range []float32{3, 6.928203, 1.1} {
		want := slices.Clone(x)
		genericDivide(want, d)
		got := slices.Clone(x)
		divide(got, d)
		kerneltest.AssertIdentical(t, label("divide subnormals by %g", d), got, want)
	}
	// divide multiplies by 1/d rounded to 64 bits: random float32 bit
	// patterns for x and d (every exponent, subnormals, infinities and
	// NaNs included), against the division.
	y := make([]float32, 512)
	for range 300 {
		d := math.Float32frombits(r.Uint32())
		for i := range y {
			y[i] = math.Float32frombits(r.Uint32())
		}
		want := slices.Clone(y)
		genericDivide(want, d)
		got := slices.Clone(y)
		divide(got, d)
		kerneltest.AssertIdentical(t, label("divide random bits by %g (%#08x)", d, math.Float32bits(d)), got, want)
	}
}

// softmaxInputs returns logits of several kinds: ordinary, large (where
// skipping the max would overflow), widely spread (exp of the smaller
// ones is subnormal or zero), and with infinities and NaNs.
func softmaxInputs(r *rand.Rand, n int) map[string][]float32 {
	in := map[string][]float32{
		"ordinary": kerneltest.Uniform(r, n, -10, 10),
		"large":    kerneltest.Uniform(r, n, 80, 100),
		"spread":   kerneltest.Uniform(r, n, -120, 10),
	}
	special := kerneltest.Uniform(r, n, -5, 5)
	for i, v := range []float32{float32(math.Inf(-1)), -0.0, 0, 1e-40} {
		if i < n {
			special[(i*7919)%n] = v
		}
	}
	in["specials"] = special
	if n > 1 {
		withNaN := kerneltest.Uniform(r, n, -5, 5)
		withNaN[n/2] = float32(math.NaN())
		in["NaN"] = withNaN
		inf := kerneltest.Uniform(r, n, -5, 5)
		inf[n-1] = float32(math.Inf(1))
		in["+Inf"] = inf
	}
	return in
}

func TestSoftmax(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, n := range append([]int{0}, sizes...) {
		for kind, x := range softmaxInputs(r, n) {
			want := slices.Clone(x)
			genericSoftmax(want)
			gx := kerneltest.GuardedCopy(x)
			softmax(gx.S())
			what := label("softmax n=%d %s", n, kind)
			kerneltest.AssertIdentical(t, what, gx.S(), want)
			gx.Check(t, what)
		}
	}
}

func TestSwiGLU(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, n := range append([]int{0}, sizes...) {
		for _, span := range []float32{1, 8, 100} { // 100: silu's tails, subnormal 1/(1+e)
			gate, up := kerneltest.Uniform(r, n, -span, span), kerneltest.Uniform(r, n, -2, 2)
			want := slices.Clone(gate)
			genericSwiGLU(want, up)
			gg, gu := kerneltest.GuardedCopy(gate), kerneltest.GuardedCopy(up)
			swiGLU(gg.S(), gu.S())
			what := label("swiGLU n=%d span %g", n, span)
			kerneltest.AssertIdentical(t, what, gg.S(), want)
			gg.Check(t, what)
			unchanged(t, what+" up", gu.S(), up)
		}
	}
	// The band where 1/(1+e^-v) is subnormal and v·that is not.
	var gate []float32
	for v := float32(-88.8); v < -86.9; v += 0.0007 {
		gate = append(gate, v)
	}
	up := kerneltest.Uniform(r, len(gate), -2, 2)
	want := slices.Clone(gate)
	genericSwiGLU(want, up)
	swiGLU(gate, up)
	kerneltest.AssertIdentical(t, "swiGLU subnormal band", gate, want)
}
