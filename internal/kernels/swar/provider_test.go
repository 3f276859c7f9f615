package swar

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/kernels/kerneltest"
	"github.com/retrollama/retrollama/kernels"
)

// groupSizes are the group sizes swept: 1..5 and the odd ones around the
// 3-value word and the 32-value sub-block, and runq.c's usual ones.
var groupSizes = []int{1, 2, 3, 4, 5, 7, 8, 16, 29, 30, 31, 32, 33, 48, 64, 96, 128}

// shape is one matmul test shape.
type shape struct{ rows, cols, gs int }

// shapes covers every group size with one to three groups and rows 1..9
// (whole and partial quads), the tinyllamas shapes, and sizes on both
// sides of parallelMACs.
func shapes() []shape {
	var s []shape
	for _, gs := range groupSizes {
		for _, groups := range []int{1, 2, 3} {
			for rows := 1; rows <= 9; rows++ {
				s = append(s, shape{rows, groups * gs, gs})
			}
		}
		s = append(s, shape{13, 768 / gs * gs, gs})
	}
	return append(s,
		shape{0, 64, 32},                     // no rows
		shape{3, 0, 4},                       // no columns
		shape{64, 172, 4}, shape{172, 64, 4}, // stories260K w2, w1
		shape{288, 288, 32}, shape{768, 288, 32}, // stories15M
		shape{288, 768, 32}, shape{288, 768, 64},
		shape{parallelMACs/288 + 7, 288, 32},       // split over the pool, uneven chunks, partial quad
		shape{5, (parallelMACs/5/64 + 1) * 64, 64}) // split, two quads
}

// TestMatMulExact: on 1, 2 and 3 threads, the scalar reference's bits on
// every shape, with random activations and weights, and with the first
// group of x and of the last row zero.
func TestMatMulExact(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var providers []kernels.Provider
	for _, threads := range []int{1, 2, 3} {
		providers = append(providers, kerneltest.Initialised(t, New(threads), testShape))
	}
	for _, sh := range shapes() {
		for _, zero := range []bool{false, true} {
			w, x := kerneltest.Random(r, sh.rows*sh.cols), kerneltest.Random(r, sh.cols)
			if zero && sh.rows > 0 && sh.cols > 0 {
				clear(x[:sh.gs])
				clear(w[(sh.rows-1)*sh.cols : (sh.rows-1)*sh.cols+sh.gs])
			}
			tensor := kerneltest.Q8Tensor(w, sh.rows, sh.cols, sh.gs)
			want := reference(t, tensor, x)
			for i, p := range providers {
				got := prepareAndMatMul(t, p, tensor, x)
				kerneltest.AssertIdentical(t, fmt.Sprintf("threads %d %+v zero %v", i+1, sh, zero), got, want)
			}
		}
	}
}

// TestMatMulExtremes: the largest sums of either sign (weights all -128,
// as only a hostile file has them, against x all +127 or all -127 and
// alternating), x quantized to -128 (a group of subnormal activations,
// where the reference's quantizer wraps), zero and non-finite scales,
// zero groups. -short leaves out the matrices split over the pool.
func TestMatMulExtremes(t *testing.T) {
	sub := math.Float32frombits(128) // 128 × the smallest subnormal: quantizes to -128
	tests := []struct {
		name string
		w    func(i int) int8          // weight i of the matrix
		ws   func(g int) float32       // scale of group g of the matrix
		x    func(j int) float32       // activation j
		gs   []int                     // group sizes to run
		xmod func(x []float32, gs int) // optional change of x
	}{
		{"-128 × +127", func(int) int8 { return -128 }, one, func(int) float32 { return 1 }, groupSizes, nil},
		{"-128 × -127", func(int) int8 { return -128 }, one, func(int) float32 { return -1 }, groupSizes, nil},
		{"-128 × ±127", func(int) int8 { return -128 }, one, alternate, groupSizes, nil},
		{"127 × -127", func(int) int8 { return 127 }, one, func(int) float32 { return -1 }, groupSizes, nil},
		{"-128 × -128", func(int) int8 { return -128 }, one, func(int) float32 { return sub }, groupSizes, nil},
		{"127 × -128", func(int) int8 { return 127 }, one, func(int) float32 { return sub }, groupSizes, nil},
		{"random × subnormal x", randomW, one, func(j int) float32 { return float32(j%200) * math.Float32frombits(1) }, groupSizes, nil},
		{"zero scales", randomW, func(g int) float32 { return float32(g % 2) }, alternate, groupSizes, nil},
		{"zero weights", func(int) int8 { return 0 }, one, alternate, groupSizes, nil},
		{"zero x", randomW, one, func(int) float32 { return 0 }, groupSizes, nil},
		{"zero x groups", randomW, one, alternate, groupSizes, func(x []float32, gs int) {
			for j := 0; j < len(x); j += 2 * gs {
				clear(x[j : j+gs])
			}
		}},
		{"non-finite scales", randomW, func(g int) float32 {
			return []float32{float32(math.Inf(1)), float32(math.NaN()), 1e38, 1}[g%4]
		}, alternate, groupSizes, nil},
	}
	p := kerneltest.Initialised(t, New(2), testShape)
	for _, tc := range tests {
		for _, gs := range tc.gs {
			shapes := []shape{{5, 3 * gs, gs}, {parallelMACs/(4*gs) + 3, 4 * gs, gs}}
			if testing.Short() { // the emulated Pentium II: no parallel split
				shapes = shapes[:1]
			}
			for _, sh := range shapes {
				tensor := kernelsTensor(sh, tc.w, tc.ws)
				x := make([]float32, sh.cols)
				for j := range x {
					x[j] = tc.x(j)
				}
				if tc.xmod != nil {
					tc.xmod(x, gs)
				}
				want := reference(t, tensor, x)
				kerneltest.AssertIdentical(t, fmt.Sprintf("%s %+v", tc.name, sh), prepareAndMatMul(t, p, tensor, x), want)
			}
		}
	}
}

func one(int) float32 { return 1 }

func alternate(j int) float32 { return float32(1 - 2*(j%2)) }

func randomW(i int) int8 { return int8(uint32(i) * 2654435761 >> 13) }

// kernelsTensor builds a Q8_0 tensor of shape sh from its values.
func kernelsTensor(sh shape, w func(int) int8, ws func(int) float32) kernels.Tensor {
	t := kernels.Tensor{Name: "extreme", DType: kernels.Q8_0, Rows: sh.rows, Cols: sh.cols, GroupSize: sh.gs,
		Q8: make([]int8, sh.rows*sh.cols), Scales: make([]float32, sh.rows*sh.cols/sh.gs)}
	for i := range t.Q8 {
		t.Q8[i] = w(i)
	}
	for g := range t.Scales {
		t.Scales[g] = ws(g)
	}
	return t
}

// TestMatMulNoAllocation: serial, parallel, and wider than the model's
// activations (the buffers then grow at Prepare).
func TestMatMulNoAllocation(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	s := kerneltest.Stories15M()
	for _, threads := range []int{1, 3} {
		p := kerneltest.Initialised(t, New(threads), s)
		for _, sh := range []shape{{3, s.Dim, 32}, {parallelMACs/s.Dim + 1, s.Dim, 32}, {5, 1024, 64}, {7, s.HiddenDim, 1}} {
			tensor, x := kerneltest.Q8Tensor(kerneltest.Random(r, sh.rows*sh.cols), sh.rows, sh.cols, sh.gs), kerneltest.Random(r, sh.cols)
			w := kerneltest.Prepare(t, p, tensor)
			out := make([]float32, sh.rows)
			kerneltest.AssertNoAllocs(t, fmt.Sprintf("threads %d %+v", threads, sh), 20, func() error { return p.MatMul(out, w, x) })
		}
	}
}

// TestSupports: the Q8_0 matmul only; every other use declined with a
// reason.
func TestSupports(t *testing.T) {
	p := New(1)
	q := kernels.Query{Op: kernels.MatMul, DType: kernels.Q8_0, Model: kerneltest.Stories15M(), Rows: 288, Cols: 288}
	got := p.Supports(q)
	if !got.OK {
		t.Errorf("q8_0 matmul: %+v, want OK", got)
	}
	for _, op := range kernels.AllOps() {
		for _, dt := range []kernels.DType{kernels.F32, kernels.Q8_0} {
			if op == kernels.MatMul && dt == kernels.Q8_0 {
				continue
			}
			got := p.Supports(kernels.Query{Op: op, DType: dt, Model: kerneltest.Stories15M()})
			if got.OK || !strings.Contains(got.Reason, "not supported") {
				t.Errorf("%s %v: %+v, want declined with a reason", op, dt, got)
			}
		}
	}
}

// TestPrepareRejects: malformed tensors are errors naming the tensor,
// never panics.
func TestPrepareRejects(t *testing.T) {
	p := kerneltest.Initialised(t, New(1), testShape)
	ok := kernels.Tensor{Name: "ok", DType: kernels.Q8_0, Rows: 2, Cols: 4, GroupSize: 2, Q8: make([]int8, 8), Scales: make([]float32, 4)}
	if _, err := p.Prepare(ok); err != nil {
		t.Fatal(err)
	}
	tests := []kerneltest.TensorChange{
		{Name: "short values", Change: func(t *kernels.Tensor) { t.Q8 = t.Q8[:7] }},
		{Name: "long values", Change: func(t *kernels.Tensor) { t.Q8 = make([]int8, 9) }},
		{Name: "short scales", Change: func(t *kernels.Tensor) { t.Scales = t.Scales[:3] }},
		{Name: "group not dividing", Change: func(t *kernels.Tensor) { t.GroupSize = 3 }},
		{Name: "zero group", Change: func(t *kernels.Tensor) { t.GroupSize = 0 }},
		{Name: "negative group", Change: func(t *kernels.Tensor) { t.GroupSize = -2 }},
		{Name: "negative rows", Change: func(t *kernels.Tensor) { t.Rows = -2; t.Cols = -4 }},
		{Name: "wrapping size", Change: func(t *kernels.Tensor) {
			t.Rows, t.Cols, t.GroupSize, t.Q8, t.Scales = math.MaxInt>>2+1, 8, 8, nil, nil
		}}, // Rows·Cols wraps to 0
		{Name: "fp32", Change: func(t *kernels.Tensor) { t.DType, t.F32 = kernels.F32, make([]float32, 8) }},
		{Name: "unknown dtype", Change: func(t *kernels.Tensor) { t.DType = 0 }},
	}
	// A matrix without columns passes CheckQ8 with any number of rows; it
	// must not take Prepare through 2^62 rows.
	huge := kernels.Tensor{Name: "no columns", DType: kernels.Q8_0, Rows: math.MaxInt >> 1, GroupSize: 4}
	if _, err := p.Prepare(huge); err != nil {
		t.Errorf("Prepare(%d×0): %v", huge.Rows, err)
	}
	kerneltest.AssertPrepareRejects(t, p, ok, tests)
}

// TestForeignWeight: a handle from another provider is refused, and the
// declined ops say so if called anyway.
func TestForeignWeight(t *testing.T) {
	p := kerneltest.Initialised(t, New(1), testShape)
	if err := p.MatMul(make([]float32, 2), "not ours", make([]float32, 4)); err != kernels.ErrForeignWeight {
		t.Errorf("MatMul with a foreign weight: %v", err)
	}
	for op, err := range map[kernels.Op]error{
		kernels.RMSNorm:   p.RMSNorm(nil, nil, nil),
		kernels.RoPE:      p.RoPE(nil, nil, 0),
		kernels.Attention: p.Attention(nil, nil, nil, nil, 0),
		kernels.SwiGLU:    p.SwiGLU(nil, nil),
		kernels.Softmax:   p.Softmax(nil),
	} {
		if err == nil || !strings.Contains(err.Error(), "not supported") {
			t.Errorf("%s: %v, want not supported", op, err)
		}
	}
}
