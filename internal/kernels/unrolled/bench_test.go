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
	variants := []struct {
		name string
		new  func() kernels.Provider
	}{
		{"scalar", func() kernels.Provider { return scalar.New() }},
		{"unroll4-t1", func() kernels.Provider { return New(4, 1) }},
		{"unroll8-t1", func() kernels.Provider { return New(8, 1) }},
		{"unroll8-t2", func() kernels.Provider { return New(8, 2) }},
	}
	r := rand.New(rand.NewPCG(13, 14))
	for _, sh := range kerneltest.Stories15MMatMuls() {
		rows, cols := sh[0], sh[1]
		data, x := kerneltest.Random(r, rows*cols), kerneltest.Random(r, cols)
		out := make([]float32, rows)
		for _, v := range variants {
			b.Run(fmt.Sprintf("%dx%d/%s", rows, cols, v.name), func(b *testing.B) {
				p := kerneltest.Initialised(b, v.new(), kerneltest.Stories15M())
				w := kerneltest.PrepareF32(b, p, rows, cols, data)
				for b.Loop() {
					if err := p.MatMul(out, w, x); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(2*float64(rows)*float64(cols)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkMatMulQ8 measures the Q8_0 matmul (group size 32, runq.c's
// default) at the same shapes as BenchmarkMatMul, in the same unit
// (GFLOP/s counts a multiply-add as two flops; x's quantization is
// included), so the two read side by side.
func BenchmarkMatMulQ8(b *testing.B) {
	variants := []struct {
		name string
		new  func() kernels.Provider
	}{
		{"scalar", func() kernels.Provider { return scalar.New() }},
		{"unroll4-t1", func() kernels.Provider { return New(4, 1) }},
		{"unroll8-t1", func() kernels.Provider { return New(8, 1) }},
		{"unroll8-t2", func() kernels.Provider { return New(8, 2) }},
	}
	const gs = 32
	r := rand.New(rand.NewPCG(17, 18))
	for _, sh := range kerneltest.Stories15MMatMuls() {
		rows, cols := sh[0], sh[1]
		tensor, x := q8Tensor(kerneltest.Random(r, rows*cols), rows, cols, gs), kerneltest.Random(r, cols)
		for _, v := range variants {
			kerneltest.BenchMatMul(b, v.name, v.new, kerneltest.Stories15M(), tensor, x)
		}
	}
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
