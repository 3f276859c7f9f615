package swar

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/retrollama/retrollama/internal/kernels/kerneltest"
	"github.com/retrollama/retrollama/internal/kernels/unrolled"
	"github.com/retrollama/retrollama/kernels"
)

// BenchmarkMatMulQ8 measures the Q8_0 matmul at stories15M's shapes with
// group size 32, like internal/kernels/unrolled's BenchmarkMatMulQ8 (same shapes,
// same unit: GFLOP/s counting a multiply-add as two flops, x's
// quantization included), so that
//
//	go test -run XXX -bench MatMul ./internal/kernels/unrolled ./internal/kernels/swar
//
// shows swar beside unroll8's Q8_0 and fp32 paths in one run.
func BenchmarkMatMulQ8(b *testing.B) {
	variants := []kerneltest.Variant{
		{Name: "swar-t1", New: func() kernels.Provider { return New(1) }},
		{Name: "swar-t2", New: func() kernels.Provider { return New(2) }},
	}
	const gs = 32
	r := rand.New(rand.NewPCG(17, 18))
	kerneltest.BenchMatMuls(b, variants, func(rows, cols int) (kernels.Tensor, []float32) {
		return kerneltest.Q8Tensor(kerneltest.Random(r, rows*cols), rows, cols, gs), kerneltest.Random(r, cols)
	})
}

// BenchmarkParallelThreshold times swar on one and two threads for
// matrices around parallelMACs, bypassing the threshold, to re-tune it:
// splitting pays from the size where t2 beats t1.
func BenchmarkParallelThreshold(b *testing.B) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, rows := range []int{128, 288, 768, 1536, 3072} {
		const cols, gs = 288, 32
		tensor, x := kerneltest.Q8Tensor(kerneltest.Random(r, rows*cols), rows, cols, gs), kerneltest.Random(r, cols)
		out := make([]float32, rows)
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%dx%d/t%d", rows, cols, threads), func(b *testing.B) {
				p := kerneltest.Initialised(b, New(threads), kerneltest.Stories15M()).(*Provider)
				w, err := p.Prepare(tensor)
				if err != nil {
					b.Fatal(err)
				}
				if err := p.MatMul(out, w, x); err != nil { // quantizes and packs x into p.xw
					b.Fatal(err)
				}
				m := w.(*matrix)
				xw, xs := p.xw[:m.words()], p.xs[:m.ng]
				p.task = task{out: out, m: m, xw: xw, xs: xs}
				for b.Loop() {
					p.pool.RunTask(m.quads, &p.task)
				}
				b.ReportMetric(2*float64(rows)*float64(cols)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkMatMulQ8GroupSize compares swar with unroll8's Q8_0 path, one
// thread each, over group sizes at 768×288 (stories15M's w1): Supports
// cannot see the group size, so swar must not lose at any of them.
func BenchmarkMatMulQ8GroupSize(b *testing.B) {
	variants := []struct {
		name string
		new  func() kernels.Provider
	}{
		{"swar-t1", func() kernels.Provider { return New(1) }},
		{"unroll8-t1", func() kernels.Provider { return unrolled.New(8, 1) }},
	}
	r := rand.New(rand.NewPCG(19, 20))
	const rows, cols = 768, 288
	for _, gs := range []int{1, 2, 3, 4, 8, 16, 32, 48, 96, 144, 288} {
		tensor, x := kerneltest.Q8Tensor(kerneltest.Random(r, rows*cols), rows, cols, gs), kerneltest.Random(r, cols)
		for _, v := range variants {
			kerneltest.BenchMatMul(b, v.name, v.new, kerneltest.Stories15M(), tensor, x)
		}
	}
}
