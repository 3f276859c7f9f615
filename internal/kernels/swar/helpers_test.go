package swar

import (
	"testing"

	"github.com/retrollama/retrollama/internal/kernels/kerneltest"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// testShape is a small model; matrices wider than it make Prepare grow
// the x buffers.
var testShape = kerneltest.SmallGQA()

// reference returns the scalar reference's W·x.
func reference(t testing.TB, tensor kernels.Tensor, x []float32) []float32 {
	t.Helper()
	ref := kerneltest.Initialised(t, scalar.New(), testShape)
	want := make([]float32, tensor.Rows)
	kerneltest.Must(t, ref.MatMul(want, kerneltest.Prepare(t, ref, tensor), x))
	return want
}

// prepareAndMatMul returns p's W·x, in a guarded output buffer whose guards must
// survive.
func prepareAndMatMul(t testing.TB, p kernels.Provider, tensor kernels.Tensor, x []float32) []float32 {
	t.Helper()
	out, check := kerneltest.GuardedOut(t, tensor.Rows)
	kerneltest.Must(t, p.MatMul(out, kerneltest.Prepare(t, p, tensor), x))
	check(p.Name())
	return out
}
