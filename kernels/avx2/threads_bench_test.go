package avx2

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/internal/kerneltest"
)

// BenchmarkMatMulThreads: the stories15M matmuls on one and two threads,
// fp32 and Q8_0 (group size 32), in one run: what a split gains at each
// size once the hand-off is paid.
func BenchmarkMatMulThreads(b *testing.B) {
	skipWithout(b)
	r := rand.New(rand.NewPCG(21, 22))
	for _, sh := range kerneltest.Stories15MMatMuls() {
		w, x := kerneltest.Random(r, sh[0]*sh[1]), kerneltest.Random(r, sh[1])
		f := kernels.Tensor{Name: "w", DType: kernels.F32, Rows: sh[0], Cols: sh[1], F32: w}
		q := kerneltest.Q8Tensor(w, sh[0], sh[1], 32)
		for _, threads := range []int{1, 2} {
			kerneltest.BenchMatMul(b, fmt.Sprintf("f32-%dt", threads), func() kernels.Provider { return New(threads) }, kerneltest.Stories15M(), f, x)
			kerneltest.BenchMatMul(b, fmt.Sprintf("q8-%dt", threads), func() kernels.Provider { return New(threads) }, kerneltest.Stories15M(), q, x)
		}
	}
}
