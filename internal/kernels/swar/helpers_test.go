package swar

import (
	"math"
	"testing"

	"github.com/retrollama/retrollama/internal/kernels/kerneltest"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// testShape is a small model; matrices wider than it make Prepare grow
// the x buffers.
var testShape = kernels.Shape{Dim: 64, HiddenDim: 160, Heads: 8, KVHeads: 4, SeqLen: 64, VocabSize: 100}

// reference returns the scalar reference's W·x.
func reference(t testing.TB, tensor kernels.Tensor, x []float32) []float32 {
	t.Helper()
	ref := kerneltest.Initialised(t, scalar.New(), testShape)
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
