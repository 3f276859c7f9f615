package unrolled

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/retrollama/retrollama/internal/kernels/kerneltest"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// BenchmarkMatMul measures W·x at stories15M's shapes (wq/wk/wv/wo, w1/w3,
// w2, the classifier) for the scalar reference and the unrolled variants,
// reporting GFLOP/s (two flops per multiply-add).
func BenchmarkMatMul(b *testing.B) {
	r := rand.New(rand.NewPCG(13, 14))
	kerneltest.BenchMatMuls(b, benchVariants(), func(rows, cols int) (kernels.Tensor, []float32) {
		return kerneltest.F32(rows, cols, kerneltest.Random(r, rows*cols)), kerneltest.Random(r, cols)
	})
}

// benchVariants are the providers the matmul benchmarks compare: the
// scalar reference and the unrolled widths on one and two threads.
func benchVariants() []kerneltest.Variant {
	return []kerneltest.Variant{
		{Name: "scalar", New: func() kernels.Provider { return scalar.New() }},
		{Name: "unroll4-t1", New: func() kernels.Provider { return New(4, 1) }},
		{Name: "unroll8-t1", New: func() kernels.Provider { return New(8, 1) }},
		{Name: "unroll8-t2", New: func() kernels.Provider { return New(8, 2) }},
	}
}

// BenchmarkMatMulQ8 measures the Q8_0 matmul (group size 32, runq.c's
// default) at the same shapes as BenchmarkMatMul, in the same unit
// (GFLOP/s counts a multiply-add as two flops; x's quantization is
// included), so the two read side by side.
func BenchmarkMatMulQ8(b *testing.B) {
	const gs = 32
	r := rand.New(rand.NewPCG(17, 18))
	kerneltest.BenchMatMuls(b, benchVariants(), func(rows, cols int) (kernels.Tensor, []float32) {
		return q8Tensor(kerneltest.Random(r, rows*cols), rows, cols, gs), kerneltest.Random(r, cols)
	})
}

// BenchmarkParallelThreshold times unroll8 on one and two threads for
// matrices around parallelMACs, bypassing the threshold, to re-tune it:
// splitting pays from the size where t2 beats t1.
func BenchmarkParallelThreshold(b *testing.B) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, rows := range []int{32, 64, 128, 288, 768} {
		const cols = 288
		data, x := kerneltest.Random(r, rows*cols), kerneltest.Random(r, cols)
		out := make([]float32, rows)
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%dx%d/t%d", rows, cols, threads), func(b *testing.B) {
				p := kerneltest.Initialised(b, New(8, threads), kerneltest.Stories15M()).(*Provider)
				m := kerneltest.PrepareF32(b, p, rows, cols, data).(*matrix)
				for b.Loop() {
					p.matMulSplit(out, m, x)
				}
				b.ReportMetric(2*float64(rows)*float64(cols)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
