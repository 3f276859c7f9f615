package avx512

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/retrollama/retrollama/internal/kernels/kerneltest"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/conformance"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// skipWithout skips tb where the fp32 kernels cannot run.
func skipWithout(tb testing.TB) { tb.Helper(); kerneltest.SkipUnless(tb, "avx512", Usable()) }

// skipWithoutQ8 skips tb where the Q8_0 kernels cannot run.
func skipWithoutQ8(tb testing.TB) { tb.Helper(); kerneltest.SkipUnless(tb, "avx512", usableQ8()) }

// checkExact runs the fp32 or Q8_0 tensor through the reference and p
// and fails unless every output is the reference's bit for bit, nothing
// past out is written and x is unchanged.
func checkExact(tb testing.TB, ref, p kernels.Provider, tensor kernels.Tensor, x []float32, name string) {
	tb.Helper()
	want := make([]float32, tensor.Rows)
	kerneltest.Must(tb, ref.MatMul(want, kerneltest.Prepare(tb, ref, tensor), x))
	x0 := slices.Clone(x)
	out, check := kerneltest.GuardedOut(tb, tensor.Rows)
	kerneltest.Must(tb, p.MatMul(out, kerneltest.Prepare(tb, p, tensor), x))
	check(name)
	kerneltest.AssertIdentical(tb, name, out, want)
	if kerneltest.Mismatch(x, x0) >= 0 {
		tb.Fatalf("%s: modified x", name)
	}
}

// testCols are the fp32 column counts: around the 16-column block and its
// masked tail, and the model widths.
var testCols = []int{1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 288, 289, 768}

// TestMatMulF32Exact: the fp32 matmul is the reference's bit for bit for
// every row count from 1 to 40 (whole blocks of 16 and the Go tail), the
// column counts around the 16-column block, on 1 to 4 threads (with
// shapes large enough to split), with guard bands after out.
func TestMatMulF32Exact(t *testing.T) {
	skipWithout(t)
	r := rand.New(rand.NewPCG(1, 2))
	ref := kerneltest.Initialised(t, scalar.New(), kerneltest.Stories15M())
	for threads := 1; threads <= 4; threads++ {
		p := kerneltest.Initialised(t, New(threads), kerneltest.Stories15M())
		shapes := [][2]int{{parallelMACs/289 + 13, 289}, {parallelMACs/768 + 40, 768}, {1000, 64}}
		for rows := 1; rows <= 40; rows++ {
			for _, cols := range testCols {
				shapes = append(shapes, [2]int{rows, cols})
			}
		}
		for _, sh := range shapes {
			rows, cols := sh[0], sh[1]
			w, x := kerneltest.Random(r, rows*cols), kerneltest.Random(r, cols)
			checkExact(t, ref, p, kerneltest.F32(rows, cols, w), x, fmt.Sprintf("threads %d %d×%d", threads, rows, cols))
		}
	}
}

// TestMatMulF32SpecialValues: zeros of both signs, subnormals, huge values
// that overflow to infinities, infinities and NaNs: the sums stay the
// reference's, so a masked tail or an accumulator start of -0 would show.
func TestMatMulF32SpecialValues(t *testing.T) {
	skipWithout(t)
	r := rand.New(rand.NewPCG(3, 4))
	ref := kerneltest.Initialised(t, scalar.New(), kerneltest.Stories15M())
	p := kerneltest.Initialised(t, New(1), kerneltest.Stories15M())
	special := []float32{0, float32(math.Copysign(0, -1)), 1e-45, -1e-40, 0x1p-126, math.MaxFloat32, -math.MaxFloat32,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1, -1, 3e38, 1e-20}
	pick := func(n int, p float64) []float32 {
		v := kerneltest.Random(r, n)
		for i := range v {
			if r.Float64() < p {
				v[i] = special[r.IntN(len(special))]
			}
		}
		return v
	}
	for trial := range 200 {
		rows, cols := 1+r.IntN(40), testCols[r.IntN(len(testCols))]
		prob := []float64{0.02, 0.3, 1}[trial%3]
		w, x := pick(rows*cols, prob), pick(cols, prob)
		if trial%5 == 0 { // every product -0: the sum must still be +0, as it starts at +0
			for i := range w {
				w[i] = float32(math.Copysign(0, -1))
			}
			for i := range x {
				x[i] = 1 + float32(i)
			}
		}
		checkExact(t, ref, p, kerneltest.F32(rows, cols, w), x, fmt.Sprintf("trial %d %d×%d", trial, rows, cols))
	}
}

// q8Shapes are rows × cols in groups of gs the Q8_0 kernels take: group
// size 32 with an even and an odd number of groups, multiples of 64.
func q8Shapes() [][3]int {
	var shapes [][3]int
	for _, rows := range []int{1, 2, 15, 16, 17, 31, 32, 33, 40} {
		for _, c := range [][2]int{{32, 32}, {32, 64}, {32, 96}, {32, 288}, {32, 768}, {64, 64}, {64, 320}, {64, 768}, {128, 256}, {192, 576}, {256, 2048}} {
			shapes = append(shapes, [3]int{rows, c[1], c[0]})
		}
	}
	return append(shapes, [3]int{parallelMACs/288 + 7, 288, 32}, [3]int{parallelMACs/768 + 21, 768, 64})
}

// TestMatMulQ8Exact: the Q8_0 matmul is the reference's bit for bit for
// the group sizes it takes, rows around the 16-row block, 1 to 4 threads,
// with weights of -128, extreme weights and x, all-zero groups of x, and
// an x whose quantization holds -128 (a group whose scale is subnormal).
func TestMatMulQ8Exact(t *testing.T) {
	skipWithoutQ8(t)
	r := rand.New(rand.NewPCG(5, 6))
	ref := kerneltest.Initialised(t, scalar.New(), kerneltest.Stories15M())
	for threads := 1; threads <= 4; threads++ {
		p := kerneltest.Initialised(t, New(threads), kerneltest.Stories15M())
		for _, sh := range q8Shapes() {
			rows, cols, gs := sh[0], sh[1], sh[2]
			for variant := range 6 {
				name := fmt.Sprintf("threads %d %d×%d gs %d variant %d", threads, rows, cols, gs, variant)
				w, x := kerneltest.Random(r, rows*cols), kerneltest.Random(r, cols)
				tensor := kerneltest.Q8Tensor(w, rows, cols, gs)
				switch variant {
				case 1: // weights of -128, which w+128 must still get right
					for i := range tensor.Q8 {
						if i%3 == 0 {
							tensor.Q8[i] = -128
						}
					}
				case 2: // an all-zero group of x (scale 0, values 0), and the last one
					clear(x[:gs])
					clear(x[cols-gs:])
				case 3: // a subnormal group: x quantizes to -128
					clear(x[:gs])
					x[0] = float32(math.Ldexp(1, -142))
					xq, xs := make([]int8, cols), make([]float32, cols/gs)
					scalar.Quantize(xq, xs, x, gs)
					if xq[0] != -128 {
						t.Fatalf("%s: test x quantizes to %d, want -128", name, xq[0])
					}
				case 4: // the largest sums: every weight -128, x ±127
					for i := range tensor.Q8 {
						tensor.Q8[i] = -128
					}
					for i := range x {
						x[i] = float32(1 - 2*(i&1))
					}
				case 5: // weights 127 and -128 alternating against x -128 and 127
					for i := range tensor.Q8 {
						tensor.Q8[i] = int8(127 - 255*(i&1))
					}
					for i := range x {
						x[i] = float32(math.Ldexp(1, -142)) * float32(1-2*((i+1)&1))
					}
				}
				checkExact(t, ref, p, tensor, x, name)
			}
		}
	}
}

// TestThreadsAgree: the results do not depend on the thread count (a
// consequence of exactness, checked directly on a shape every thread
// count splits).
func TestThreadsAgree(t *testing.T) {
	skipWithoutQ8(t)
	r := rand.New(rand.NewPCG(7, 8))
	rows, cols := 1031, 288
	w, x := kerneltest.Random(r, rows*cols), kerneltest.Random(r, cols)
	for _, tensor := range []kernels.Tensor{kerneltest.F32(rows, cols, w), kerneltest.Q8Tensor(w, rows, cols, 32)} {
		var first []float32
		for threads := 1; threads <= 5; threads++ {
			p := kerneltest.Initialised(t, New(threads), kerneltest.Stories15M())
			out := make([]float32, rows)
			kerneltest.Must(t, p.MatMul(out, kerneltest.Prepare(t, p, tensor), x))
			if first == nil {
				first = out
			} else if !slices.Equal(out, first) {
				t.Fatalf("%v: %d threads differ from 1", tensor.DType, threads)
			}
		}
	}
}

// TestConformance: the conformance suite (declined ops are skips).
func TestConformance(t *testing.T) {
	skipWithout(t)
	conformance.Test(t, "avx512", func() kernels.Provider { return New(2) })
}

// TestSupports: the Q8_0 matmul at the group sizes the kernel takes, on a
// CPU that has AVX-512; the fp32 matmul (avx2's), every other op and
// group size declined with a reason everywhere.
func TestSupports(t *testing.T) {
	p := New(1)
	for _, op := range kernels.AllOps() {
		if op == kernels.MatMul {
			continue
		}
		if s := p.Supports(kernels.Query{Op: op, DType: kernels.F32}); s.OK || s.Reason == "" {
			t.Errorf("%s: %+v", op, s)
		}
	}
	for _, gs := range []int{0, 1, 4, 16, 48, 96, 160} {
		if s := p.Supports(kernels.Query{Op: kernels.MatMul, DType: kernels.Q8_0, GroupSize: gs}); s.OK || s.Reason == "" {
			t.Errorf("group size %d: %+v", gs, s)
		}
	}
	if s := p.Supports(kernels.Query{Op: kernels.MatMul, DType: kernels.F32}); s.OK || s.Reason == "" {
		t.Errorf("fp32 matmul (declined for avx2's): %+v", s)
	}
	for _, gs := range []int{32, 64, 128, 192, 256} {
		q := kernels.Query{Op: kernels.MatMul, DType: kernels.Q8_0, GroupSize: gs}
		if got := p.Supports(q).OK; got != (usableQ8() == nil) {
			t.Errorf("group size %d: OK = %v where usableQ8() = %v", gs, got, usableQ8())
		}
	}
	if _, err := p.Prepare(kerneltest.Q8Tensor(make([]float32, 96), 2, 48, 48)); err == nil {
		t.Error("Prepare took group size 48")
	}
}

// TestDeclinedOpsError: the declined ops, called anyway, return an error
// wrapping kernels.ErrDeclined.
func TestDeclinedOpsError(t *testing.T) {
	p := New(1)
	if err := p.Softmax(make([]float32, 4)); err == nil {
		t.Error("Softmax: no error")
	}
	if err := p.RMSNorm(nil, nil, nil); err == nil {
		t.Error("RMSNorm: no error")
	}
}

// TestNoAllocationPerCall: no matmul allocates, split over the pool or
// not.
func TestNoAllocationPerCall(t *testing.T) {
	skipWithoutQ8(t)
	r := rand.New(rand.NewPCG(9, 10))
	s := kerneltest.Stories15M()
	for _, threads := range []int{1, 3} {
		p := kerneltest.Initialised(t, New(threads), s)
		bigRows := parallelMACs/s.Dim + 17
		big, bigQ8 := kerneltest.RandomWeights(t, p, r, bigRows, s.Dim)
		bigQ64 := kerneltest.Prepare(t, p, kerneltest.Q8Tensor(kerneltest.Random(r, bigRows*256), bigRows, 256, 64))
		small := kerneltest.Prepare(t, p, kerneltest.F32(3, 5, kerneltest.Random(r, 15)))
		x := kerneltest.Random(r, s.Dim)
		out := make([]float32, bigRows)
		kerneltest.AssertCallsNoAllocs(t, fmt.Sprintf("threads %d", threads), []kerneltest.Call{
			{Name: "MatMul", Call: func() error { return p.MatMul(out, big, x) }},
			{Name: "MatMul q8 gs 32", Call: func() error { return p.MatMul(out, bigQ8, x) }},
			{Name: "MatMul q8 gs 64", Call: func() error { return p.MatMul(out, bigQ64, x[:256]) }},
			{Name: "MatMul small", Call: func() error { return p.MatMul(out[:3], small, x[:5]) }},
		})
	}
}

// TestBadOperands: short operands and foreign weights are errors, not
// out-of-bounds accesses.
func TestBadOperands(t *testing.T) {
	p := kerneltest.Initialised(t, New(1), kerneltest.Stories15M())
	w := kerneltest.Prepare(t, p, kerneltest.F32(4, 8, make([]float32, 32)))
	if err := p.MatMul(make([]float32, 4), w, make([]float32, 7)); err == nil {
		t.Error("short x: no error")
	}
	if err := p.MatMul(make([]float32, 3), w, make([]float32, 8)); err == nil {
		t.Error("short out: no error")
	}
	if err := p.MatMul(make([]float32, 4), struct{}{}, make([]float32, 8)); err != kernels.ErrForeignWeight {
		t.Errorf("foreign weight: %v", err)
	}
	if _, err := p.Prepare(kerneltest.F32(4, 8, make([]float32, 31))); err == nil {
		t.Error("Prepare took 31 values for 4×8")
	}
}
