package exact

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/retrollama/retrollama/internal/kernels/kerneltest"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// TestRMSNormIsReference: RMSNorm is the scalar reference's, bit for bit,
// in place and not, for lengths from 1 to a model width.
func TestRMSNormIsReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 7, 64, 288, 768} {
		s := kerneltest.SmallGQA()
		s.Dim = n
		ref := kerneltest.Initialised(t, scalar.New(), s)
		x, w := kerneltest.Random(r, n), kerneltest.Random(r, n)
		want := make([]float32, n)
		kerneltest.Must(t, ref.RMSNorm(want, x, kerneltest.PrepareF32(t, ref, 1, n, w)))
		out := kerneltest.NewGuarded(n, nil)
		RMSNorm(out.S(), x, w)
		out.Check(t, "RMSNorm")
		kerneltest.AssertIdentical(t, "RMSNorm", out.S(), want)
		inPlace := slices.Clone(x)
		RMSNorm(inPlace, inPlace, w)
		kerneltest.AssertIdentical(t, "RMSNorm in place", inPlace, want)
	}
}
