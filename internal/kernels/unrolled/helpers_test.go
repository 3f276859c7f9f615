package unrolled

import (
	"testing"

	"github.com/retrollama/retrollama/internal/kernels/kerneltest"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// testShape is a GQA model: 8 query heads sharing 4 KV heads of size 8.
var testShape = kerneltest.SmallGQA()

// pair returns the scalar reference and an unrolled provider, both Init'ed.
func pair(t testing.TB, s kernels.Shape, width, threads int) (ref, got kernels.Provider) {
	t.Helper()
	return kerneltest.Initialised(t, scalar.New(), s), kerneltest.Initialised(t, New(width, threads), s)
}
