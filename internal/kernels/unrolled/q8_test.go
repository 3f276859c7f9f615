package unrolled

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/kernels/kerneltest"
	"github.com/retrollama/retrollama/internal/kernels/runq"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// q8Tensor quantizes rows×cols weights w in groups of gs.
func q8Tensor(w []float32, rows, cols, gs int) kernels.Tensor {
	q, s := runq.Quantize(w, gs)
	return kernels.Tensor{Name: "wq8", DType: kernels.Q8_0, Rows: rows, Cols: cols, Q8: q, Scales: s, GroupSize: gs}
}

// q8Shape is one Q8_0 matmul test shape.
type q8Shape struct{ rows, cols, gs int }

// q8Shapes covers every group size with rows 1..5 (the four-row pass and
// its remainders), one to three groups and 768 columns, the tinyllamas
// shapes, and sizes on both sides of parallelMACs.
func q8Shapes() []q8Shape {
	var shapes []q8Shape
	for _, gs := range []int{1, 2, 4, 32, 64} {
		for rows := 1; rows <= 5; rows++ {
			for _, cols := range []int{gs, 3 * gs, 64, 768} {
				if cols%gs == 0 {
					shapes = append(shapes, q8Shape{rows, cols, gs})
				}
			}
		}
	}
	return append(shapes,
		q8Shape{64, 172, 4}, q8Shape{172, 64, 4}, // stories260K w2, w1
		q8Shape{288, 288, 32}, q8Shape{768, 288, 32}, q8Shape{288, 768, 32},
		q8Shape{parallelMACs/288 + 7, 288, 32},       // split over the pool, uneven chunks
		q8Shape{3, (parallelMACs/3/64 + 1) * 64, 64}) // split, one row per thread
}

// randomQ8Call returns a quantized rows×cols matrix and an x; zeroGroup
// blanks the first group of x and of the last row.
func randomQ8Call(r *rand.Rand, sh q8Shape, zeroGroup bool) (kernels.Tensor, []float32) {
	w, x := kerneltest.Random(r, sh.rows*sh.cols), kerneltest.Random(r, sh.cols)
	if zeroGroup {
		clear(x[:sh.gs])
		clear(w[(sh.rows-1)*sh.cols : (sh.rows-1)*sh.cols+sh.gs])
	}
	return q8Tensor(w, sh.rows, sh.cols, sh.gs), x
}

func TestQ8ShapesReachThePool(t *testing.T) {
	split := 0
	for _, sh := range q8Shapes() {
		if sh.rows*sh.cols >= parallelMACs {
			split++
		}
	}
	if split < 2 {
		t.Fatalf("only %d Q8 test shapes reach parallelMACs = %d", split, parallelMACs)
	}
}

// TestMatMulQ8Exact: unroll4 and unroll8 on 1, 2 and 3 threads give
// runq.c's bits, and so the scalar reference's, on every shape.
func TestMatMulQ8Exact(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	ref := kerneltest.Initialised(t, scalar.New(), testShape)
	var providers []kernels.Provider
	for _, width := range []int{4, 8} {
		for _, threads := range []int{1, 2, 3} {
			providers = append(providers, kerneltest.Initialised(t, New(width, threads), testShape))
		}
	}
	for _, sh := range q8Shapes() {
		for _, zero := range []bool{false, true} {
			tensor, x := randomQ8Call(r, sh, zero)
			want := make([]float32, sh.rows)
			xq, xs := runq.Quantize(x, sh.gs)
			runq.MatMul(want, xq, xs, tensor.Q8, tensor.Scales, sh.cols, sh.rows, sh.gs)
			got := make([]float32, sh.rows)
			w := kerneltest.Prepare(t, ref, tensor)
			kerneltest.Must(t, ref.MatMul(got, w, x))
			kerneltest.AssertIdentical(t, fmt.Sprintf("scalar %+v zero group %v", sh, zero), got, want)
			for _, p := range providers {
				w := kerneltest.Prepare(t, p, tensor)
				kerneltest.Must(t, p.MatMul(got, w, x))
				kerneltest.AssertIdentical(t, fmt.Sprintf("%s threads %d %+v zero group %v", p.Name(), p.(*Provider).pool.Size(), sh, zero), got, want)
			}
		}
	}
}

func TestDotQ8Tails(t *testing.T) {
	for n := 0; n <= 40; n++ {
		a, b := make([]int8, n), make([]int8, n+3) // b may be longer
		var want int32
		for i := range a {
			a[i], b[i] = int8(127-i), int8(i-n)
			want += int32(a[i]) * int32(b[i])
		}
		if got := dotQ8(a, b); got != want {
			t.Errorf("n=%d: %d, want %d", n, got, want)
		}
	}
}

func TestSupportsQ8(t *testing.T) {
	tests := []struct {
		op kernels.Op
		ok bool
	}{
		{kernels.MatMul, true},
		{kernels.RMSNorm, false},
		{kernels.Attention, false},
	}
	for _, width := range []int{4, 8} {
		p := New(width, 1)
		for _, tc := range tests {
			got := p.Supports(kernels.Query{Op: tc.op, DType: kernels.Q8_0, Model: testShape, Rows: 8, Cols: 64})
			if got.OK != tc.ok || !tc.ok && !strings.Contains(got.Reason, "q8_0") {
				t.Errorf("unroll%d %s q8_0: %+v, want ok=%v", width, tc.op, got, tc.ok)
			}
		}
	}
}

func TestPrepareQ8Rejects(t *testing.T) {
	p := kerneltest.Initialised(t, New(8, 1), testShape)
	ok := kernels.Tensor{Name: "ok", DType: kernels.Q8_0, Rows: 2, Cols: 4, GroupSize: 2, Q8: make([]int8, 8), Scales: make([]float32, 4)}
	w := kerneltest.Prepare(t, p, ok)
	if err := p.RMSNorm(make([]float32, 4), make([]float32, 4), w); err == nil || !strings.Contains(err.Error(), "q8_0") {
		t.Errorf("RMSNorm with a Q8_0 weight: %v, want a dtype error", err)
	}
	tests := []kerneltest.TensorChange{
		{Name: "short values", Change: func(t *kernels.Tensor) { t.Q8 = t.Q8[:7] }},
		{Name: "short scales", Change: func(t *kernels.Tensor) { t.Scales = t.Scales[:3] }},
		{Name: "group not dividing", Change: func(t *kernels.Tensor) { t.GroupSize = 3 }},
		{Name: "zero group", Change: func(t *kernels.Tensor) { t.GroupSize = 0 }},
	}
	kerneltest.AssertPrepareRejects(t, p, ok, tests)
}

// TestMatMulQ8NoAllocation: serial, parallel, and wider than the model's
// activations (the buffers then grow at Prepare).
func TestMatMulQ8NoAllocation(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	s := kerneltest.Stories15M()
	shapes := []q8Shape{{3, s.Dim, 32}, {parallelMACs/s.Dim + 1, s.Dim, 32}, {5, 1024, 64}}
	for _, width := range []int{4, 8} {
		for _, threads := range []int{1, 3} {
			p := kerneltest.Initialised(t, New(width, threads), s)
			for _, sh := range shapes {
				tensor, x := randomQ8Call(r, sh, false)
				w := kerneltest.Prepare(t, p, tensor)
				out := make([]float32, sh.rows)
				kerneltest.AssertNoAllocs(t, fmt.Sprintf("unroll%d threads %d %+v", width, threads, sh), 20, func() error { return p.MatMul(out, w, x) })
			}
		}
	}
}
