// Package kerneltest holds what the providers' own tests and benchmarks
// share: the stories15M shape, provider set-up, random inputs, Q8_0 test
// tensors, the matmul benchmark body, bit-for-bit comparison and guarded
// buffers, so that every provider is checked and measured the same way
// and its figures read side by side.
package kerneltest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// Stories15M returns the shape of karpathy's stories15M.
func Stories15M() kernels.Shape {
	return kernels.Shape{Dim: 288, HiddenDim: 768, Heads: 6, KVHeads: 6, SeqLen: 256, VocabSize: 32000}
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
		p := Initialised(b, newProvider(), shape)
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
		b.ReportMetric(2*float64(t.Rows)*float64(t.Cols)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
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

// Same reports whether a and b are the same float32: the same bits, or
// both NaN. A NaN's payload depends on which operand a compiler puts
// first in the reference's commutative multiply, which the language does
// not fix; it is never part of a result that matters.
func Same(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || a != a && b != b
}

// Mismatch returns the first index at which got and want are not Same,
// len(want) when got is shorter or longer, or -1 when they are identical.
func Mismatch(got, want []float32) int {
	if len(got) != len(want) {
		return len(want)
	}
	for i := range want {
		if !Same(got[i], want[i]) {
			return i
		}
	}
	return -1
}

// AssertIdentical fails tb unless got and want are bit for bit the same
// (see Same).
func AssertIdentical(tb testing.TB, what string, got, want []float32) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	if i := Mismatch(got, want); i >= 0 {
		tb.Fatalf("%s: [%d] = %v (%#08x), want %v (%#08x)\ngot  %v\nwant %v", what, i,
			got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]), head(got), head(want))
	}
}

func head(v []float32) []float32 { return v[:min(len(v), 8)] }

// guardBand is the number of guard values on either side of a Guarded
// slice.
const guardBand = 64

// poisonBits is the quiet NaN, with a recognisable payload, that fills
// guard bands and unwritten outputs: a stray write changes it, a stray
// read turns a result into NaN.
const poisonBits = 0x7fc0_dead

// Guarded is a slice with guard bands of poison on either side in its
// backing array (gonum's internal/asm guard tests): a kernel that writes
// outside it, in Go or in assembly, changes a guard. The slice's capacity
// reaches into the trailing band, so a Go kernel that reslices past its
// length finds poison there rather than a panic.
type Guarded struct {
	buf []float32
	n   int
}

// NewGuarded returns n values copied from vals (poison where vals is
// shorter, so an output starts poisoned) between two guard bands.
func NewGuarded(n int, vals []float32) Guarded {
	g := Guarded{buf: make([]float32, n+2*guardBand), n: n}
	for i := range g.buf {
		g.buf[i] = math.Float32frombits(poisonBits)
	}
	copy(g.buf[guardBand:guardBand+n], vals)
	return g
}

// GuardedCopy returns a guarded copy of v.
func GuardedCopy(v []float32) Guarded { return NewGuarded(len(v), v) }

// S returns the guarded values.
func (g Guarded) S() []float32 { return g.buf[guardBand : guardBand+g.n : guardBand+g.n+guardBand] }

// Check fails tb unless both guard bands still hold poison.
func (g Guarded) Check(tb testing.TB, what string) {
	tb.Helper()
	for i, v := range g.buf {
		if (i < guardBand || i >= guardBand+g.n) && math.Float32bits(v) != poisonBits {
			tb.Fatalf("%s: guard overwritten at offset %d from the start (len %d): %v", what, i-guardBand, g.n, v)
		}
	}
}

// GuardedOut returns a poisoned output of n values (see Guarded) and a
// check that its guards are intact.
func GuardedOut(tb testing.TB, n int) ([]float32, func(what string)) {
	g := NewGuarded(n, nil)
	return g.S(), func(what string) {
		tb.Helper()
		g.Check(tb, what)
	}
}
