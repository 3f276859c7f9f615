// Package kerneltest holds what the providers' own tests and benchmarks
// share: the stories15M shape, provider set-up, random inputs, Q8_0 test
// tensors, the matmul benchmark body, bit-for-bit comparison and guarded
// buffers, so that every provider is checked and measured the same way
// and its figures read side by side.
package kerneltest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// Stories15M returns the shape of karpathy's stories15M (kernels.Models')
// without its layer count, as the providers' tests have always used it.
func Stories15M() kernels.Shape {
	m, _ := kernels.ModelNamed("stories15M")
	m.Shape.Layers = 0
	return m.Shape
}

// Stories15MMatMuls returns stories15M's matmul shapes as rows×cols: wq/wk/
// wv/wo, w1/w3, w2 and the classifier.
func Stories15MMatMuls() [][2]int { return [][2]int{{288, 288}, {768, 288}, {288, 768}, {32000, 288}} }

// Initialised returns p after Init(s), closed when the test ends.
func Initialised(tb testing.TB, p kernels.Provider, s kernels.Shape) kernels.Provider {
	tb.Helper()
	if err := p.Init(s); err != nil {
		tb.Fatalf("%s: %v", p.Name(), err)
	}
	tb.Cleanup(func() { p.Close() })
	return p
}

// Random returns n values uniform in [-1, 1) from r.
func Random(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = 2*r.Float32() - 1
	}
	return v
}

// Uniform returns n values uniform in [lo, hi) from r.
func Uniform(r *rand.Rand, n int, lo, hi float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = lo + (hi-lo)*r.Float32()
	}
	return v
}

// Q8Tensor quantizes the rows×cols weights w in groups of gs with the
// reference's quantizer (runq.c's), as a Q8_0 tensor named "wq8".
func Q8Tensor(w []float32, rows, cols, gs int) kernels.Tensor {
	q, s := make([]int8, len(w)), make([]float32, len(w)/gs)
	scalar.Quantize(q, s, w, gs)
	return kernels.Tensor{Name: "wq8", DType: kernels.Q8_0, Rows: rows, Cols: cols, Q8: q, Scales: s, GroupSize: gs}
}

// BenchMatMul runs sub-benchmark name: a fresh provider from newProvider,
// initialised with shape, prepares t and multiplies it by x in a loop,
// reporting GFLOP/s (a multiply-add counts two flops; for Q8_0, x's
// quantization is included).
func BenchMatMul(b *testing.B, name string, newProvider func() kernels.Provider, shape kernels.Shape, t kernels.Tensor, x []float32) {
	b.Run(fmt.Sprintf("%dx%d/%s", t.Rows, t.Cols, name), func(b *testing.B) {
		LoopMatMul(b, Initialised(b, newProvider(), shape), t, x)
	})
}

// LoopMatMul is BenchMatMul's measurement on p, already initialised: it
// prepares t and multiplies it by x in b's loop, reporting GFLOP/s.
func LoopMatMul(b *testing.B, p kernels.Provider, t kernels.Tensor, x []float32) {
	w, err := p.Prepare(t)
	if err != nil {
		b.Fatal(err)
	}
	out := make([]float32, t.Rows)
	for b.Loop() {
		if err := p.MatMul(out, w, x); err != nil {
			b.Fatal(err)
		}
	}
	ReportGFLOPs(b, t.Rows, t.Cols)
}

// ReportGFLOPs reports b's rate of rows×cols matmuls as GFLOP/s (a
// multiply-add counts two flops).
func ReportGFLOPs(b *testing.B, rows, cols int) {
	b.ReportMetric(2*float64(rows)*float64(cols)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// Variant is one provider a benchmark measures: its name in the results
// and how to make a fresh one.
type Variant struct {
	Name string
	New  func() kernels.Provider
}

// BenchMatMuls runs BenchMatMul for each variant at each of stories15M's
// matmul shapes (Stories15MMatMuls), on the weights and x that data
// returns for the shape, so that every provider's figures are taken on
// the same shapes and read side by side.
func BenchMatMuls(b *testing.B, variants []Variant, data func(rows, cols int) (kernels.Tensor, []float32)) {
	for _, sh := range Stories15MMatMuls() {
		t, x := data(sh[0], sh[1])
		for _, v := range variants {
			BenchMatMul(b, v.Name, v.New, Stories15M(), t, x)
		}
	}
}

// NMSE is Σ(got-want)² / Σwant², the normalised mean squared error of got
// against want (ggml's measure); for an all-zero want it is Σgot², so 0
// only for an exact match.
func NMSE(got, want []float32) float64 {
	var num, den float64
	for i := range want {
		d := float64(got[i]) - float64(want[i])
		num += d * d
		den += float64(want[i]) * float64(want[i])
	}
	if den == 0 {
		return num
	}
	return num / den
}

// AssertNoAllocs fails tb if call allocates, averaged over runs calls
// (testing.AllocsPerRun), or returns an error: a provider's per-token
// calls allocate nothing.
func AssertNoAllocs(tb testing.TB, what string, runs int, call func() error) {
	tb.Helper()
	var err error
	if n := testing.AllocsPerRun(runs, func() { err = call() }); n != 0 {
		tb.Errorf("%s: %v allocations per call", what, n)
	}
	Must(tb, err)
}

// Call is one provider call a test makes, with the name its failure
// reports.
type Call struct {
	Name string
	Call func() error
}

// AssertCallsNoAllocs runs AssertNoAllocs on each call, 20 runs each,
// naming a failure prefix and the call's name: the no-allocation tests of
// every provider read the same way.
func AssertCallsNoAllocs(tb testing.TB, prefix string, calls []Call) {
	tb.Helper()
	for _, c := range calls {
		AssertNoAllocs(tb, prefix+" "+c.Name, 20, c.Call)
	}
}

// RandomWeights returns p's weights for two rows×cols tensors of values
// from Random: fp32, then Q8_0 in groups of 32.
func RandomWeights(tb testing.TB, p kernels.Provider, r *rand.Rand, rows, cols int) (f32, q8 kernels.Weight) {
	tb.Helper()
	f32 = Prepare(tb, p, F32(rows, cols, Random(r, rows*cols)))
	q8 = Prepare(tb, p, Q8Tensor(Random(r, rows*cols), rows, cols, 32))
	return f32, q8
}

// SkipUnless skips tb when err, why provider name cannot run here, is
// not nil.
func SkipUnless(tb testing.TB, name string, err error) {
	tb.Helper()
	if err != nil {
		tb.Skip(name+": ", err)
	}
}

// TensorChange is one way to spoil a valid tensor, named as the error
// it brings must name it.
type TensorChange struct {
	Name   string
	Change func(*kernels.Tensor)
}

// AssertPrepareRejects fails tb unless p.Prepare refuses each change of
// ok (renamed to the change's name) with an error naming the tensor, and
// without panicking.
func AssertPrepareRejects(tb testing.TB, p kernels.Provider, ok kernels.Tensor, changes []TensorChange) {
	tb.Helper()
	for _, c := range changes {
		t := ok
		t.Name = c.Name
		c.Change(&t)
		func() {
			defer func() {
				if v := recover(); v != nil {
					tb.Errorf("Prepare(%s) panicked: %v", c.Name, v)
				}
			}()
			if _, err := p.Prepare(t); err == nil || !strings.Contains(err.Error(), c.Name) {
				tb.Errorf("Prepare(%s): %v, want an error naming the tensor", c.Name, err)
			}
		}()
	}
}

// SmallGQA returns a small grouped-query model: 8 query heads sharing 4
// KV heads of size 8; buffers sized for it grow at Prepare for wider
// matrices.
func SmallGQA() kernels.Shape {
	return kernels.Shape{Dim: 64, HiddenDim: 160, Heads: 8, KVHeads: 4, SeqLen: 64, VocabSize: 100}
}

// Must fails tb if err is not nil.
func Must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// F32 returns data as a rows×cols fp32 tensor named "w".
func F32(rows, cols int, data []float32) kernels.Tensor {
	return kernels.Tensor{Name: "w", DType: kernels.F32, Rows: rows, Cols: cols, F32: data}
}

// Prepare returns p's weight for t, failing tb if Prepare does.
func Prepare(tb testing.TB, p kernels.Provider, t kernels.Tensor) kernels.Weight {
	tb.Helper()
	w, err := p.Prepare(t)
	Must(tb, err)
	return w
}

// PrepareF32 returns p's weight for data as a rows×cols fp32 tensor.
func PrepareF32(tb testing.TB, p kernels.Provider, rows, cols int, data []float32) kernels.Weight {
	tb.Helper()
	return Prepare(tb, p, F32(rows, cols, data))
}
