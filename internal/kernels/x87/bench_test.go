package x87

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/retrollama/retrollama/internal/kernels/kerneltest"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// variants are the providers the benchmarks compare: the scalar
// reference (softfloat on a 386 build) and x87.
var variants = []struct {
	name string
	new  func() kernels.Provider
}{
	{"scalar", func() kernels.Provider { return scalar.New() }},
	{"x87", func() kernels.Provider { return New() }},
}

// BenchmarkMatMul measures W·x at stories15M's shapes (wq/wk/wv/wo,
// w1/w3, w2, the classifier), reporting MFLOP/s (two flops per
// multiply-add). Meant for the emulated Pentium II (see p2_test.go), where
// only the ratio of the two variants means anything:
//
//	p2run -- x87.test-386 -test.run '^$' -test.bench MatMul -test.benchtime 2x
func BenchmarkMatMul(b *testing.B) {
	r := rand.New(rand.NewPCG(31, 32))
	s := shapes["stories15M"]
	for _, sh := range [][2]int{{288, 288}, {768, 288}, {288, 768}, {32000, 288}} {
		rows, cols := sh[0], sh[1]
		data, x := kerneltest.Uniform(r, rows*cols, -0.1, 0.1), kerneltest.Uniform(r, cols, -2, 2)
		out := make([]float32, rows)
		for _, v := range variants {
			b.Run(fmt.Sprintf("%dx%d/%s", rows, cols, v.name), func(b *testing.B) {
				p := v.new()
				kerneltest.Must(b, p.Init(s))
				defer p.Close()
				w := kerneltest.PrepareF32(b, p, rows, cols, data)
				for b.Loop() {
					kerneltest.Must(b, p.MatMul(out, w, x))
				}
				b.ReportMetric(2*float64(rows)*float64(cols)*float64(b.N)/b.Elapsed().Seconds()/1e6, "MFLOP/s")
			})
		}
	}
}

// BenchmarkExpOps measures the ops built on expf at stories15M's sizes:
// the sampler's softmax over 32000 logits, SwiGLU over 768 values, and
// attention at the last position.
func BenchmarkExpOps(b *testing.B) {
	r := rand.New(rand.NewPCG(33, 34))
	s := shapes["stories15M"]
	logits := kerneltest.Uniform(r, s.VocabSize, -10, 10)
	gate, up := kerneltest.Uniform(r, s.HiddenDim, -8, 8), kerneltest.Uniform(r, s.HiddenDim, -2, 2)
	q, out := kerneltest.Uniform(r, s.Dim, -2, 2), make([]float32, s.Dim)
	keys, values := kerneltest.Uniform(r, s.SeqLen*s.KVDim(), -2, 2), kerneltest.Uniform(r, s.SeqLen*s.KVDim(), -1, 1)
	x, g := make([]float32, len(logits)), make([]float32, len(gate))
	for _, v := range variants {
		p := v.new()
		kerneltest.Must(b, p.Init(s))
		b.Run("softmax32000/"+v.name, func(b *testing.B) {
			for b.Loop() {
				copy(x, logits)
				kerneltest.Must(b, p.Softmax(x))
			}
		})
		b.Run("swiglu768/"+v.name, func(b *testing.B) {
			for b.Loop() {
				copy(g, gate)
				kerneltest.Must(b, p.SwiGLU(g, up))
			}
		})
		b.Run("attention255/"+v.name, func(b *testing.B) {
			for b.Loop() {
				kerneltest.Must(b, p.Attention(out, q, keys, values, s.SeqLen-1))
			}
		})
		p.Close()
	}
}
