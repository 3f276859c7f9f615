package swar

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// testShape is a small model; matrices wider than it make Prepare grow
// the x buffers.
var testShape = kernels.Shape{Dim: 64, HiddenDim: 160, Heads: 8, KVHeads: 4, SeqLen: 64, VocabSize: 100}

// stories15M is the shape of karpathy's stories15M.
var stories15M = kernels.Shape{Dim: 288, HiddenDim: 768, Heads: 6, KVHeads: 6, SeqLen: 256, VocabSize: 32000}

// initialised returns an Init'ed provider closed at the end of the test.
func initialised(t testing.TB, p kernels.Provider, s kernels.Shape) kernels.Provider {
	t.Helper()
	if err := p.Init(s); err != nil {
		t.Fatalf("%s: %v", p.Name(), err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// random returns n values uniform in [-1, 1) from r.
func random(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = 2*r.Float32() - 1
	}
	return v
}

// q8Tensor quantizes rows×cols weights w in groups of gs, as runq.c's
// export does.
func q8Tensor(w []float32, rows, cols, gs int) kernels.Tensor {
	q, s := make([]int8, len(w)), make([]float32, len(w)/gs)
	scalar.Quantize(q, s, w, gs)
	return kernels.Tensor{Name: "wq8", DType: kernels.Q8_0, Rows: rows, Cols: cols, Q8: q, Scales: s, GroupSize: gs}
}

// reference returns the scalar reference's W·x.
func reference(t testing.TB, tensor kernels.Tensor, x []float32) []float32 {
	t.Helper()
	ref := initialised(t, scalar.New(), testShape)
	w, err := ref.Prepare(tensor)
	must(t, err)
	want := make([]float32, tensor.Rows)
	must(t, ref.MatMul(want, w, x))
	return want
}

// run returns p's W·x, in an output buffer with a sentinel past its end
// that must survive.
func run(t testing.TB, p kernels.Provider, tensor kernels.Tensor, x []float32) []float32 {
	t.Helper()
	w, err := p.Prepare(tensor)
	must(t, err)
	buf := make([]float32, tensor.Rows+1)
	const sentinel = 12345.5
	buf[tensor.Rows] = sentinel
	must(t, p.MatMul(buf[:tensor.Rows], w, x))
	if buf[tensor.Rows] != sentinel {
		t.Fatalf("%s wrote past out", p.Name())
	}
	return buf[:tensor.Rows]
}

// assertIdentical fails unless got and want hold the same bits (any NaN
// matching any NaN).
func assertIdentical(t testing.TB, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: len %d, want %d", what, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if math.Float32bits(g) != math.Float32bits(w) && !(g != g && w != w) {
			t.Fatalf("%s: [%d] = %g (%#08x), want %g (%#08x)", what, i, g, math.Float32bits(g), w, math.Float32bits(w))
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
