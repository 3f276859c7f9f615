package mmx

import (
	"math/rand/v2"
	"testing"

	"github.com/retrollama/retrollama/internal/kernels/kerneltest"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// BenchmarkMatMulQ8 measures the Q8_0 matmul at stories15M's shapes
// (wq/wk/wv/wo, w1/w3, w2, the classifier) in groups of 32, for the
// scalar reference and mmx, x's quantization included, in the unit of
// the unrolled provider's benchmarks (GFLOP/s, a multiply-add being two
// flops). Run it on the emulated Pentium II with p2run (see p2_test.go);
// TCG's timings only indicate the ratio. The weights are random int8
// values and scales, not a quantized float matrix: the guest's 128 MB
// could not hold the classifier's floats besides.
func BenchmarkMatMulQ8(b *testing.B) {
	variants := []kerneltest.Variant{
		{Name: "scalar", New: func() kernels.Provider { return scalar.New() }},
		{Name: "mmx", New: func() kernels.Provider { return New() }},
	}
	const gs = 32
	r := rand.New(rand.NewPCG(19, 20))
	kerneltest.BenchMatMuls(b, variants, func(rows, cols int) (kernels.Tensor, []float32) {
		tensor := kernels.Tensor{Name: "bench", DType: kernels.Q8_0, Rows: rows, Cols: cols, GroupSize: gs,
			Q8: make([]int8, rows*cols), Scales: make([]float32, rows*cols/gs)}
		for i := range tensor.Q8 {
			tensor.Q8[i] = int8(r.Uint32())
		}
		for i := range tensor.Scales {
			tensor.Scales[i] = float32(r.IntN(1<<16)+1) * 0x1p-24 // typical weight scales, exact without float ops
		}
		x := make([]float32, cols)
		for i := range x {
			x[i] = float32(r.IntN(1<<20)-1<<19) * 0x1p-19
		}
		return tensor, x
	})
}
