package unrolled

import (
	"math"
	"testing"

	"github.com/retrollama/retrollama/internal/kernels/kerneltest"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// testShape is a GQA model: 8 query heads sharing 4 KV heads of size 8.
var testShape = kernels.Shape{Dim: 64, HiddenDim: 160, Heads: 8, KVHeads: 4, SeqLen: 64, VocabSize: 100}

// pair returns the scalar reference and an unrolled provider, both Init'ed.
func pair(t testing.TB, s kernels.Shape, width, threads int) (ref, got kernels.Provider) {
	t.Helper()
	return kerneltest.Initialised(t, scalar.New(), s), kerneltest.Initialised(t, New(width, threads), s)
}

// prepare hands data to p as a rows×cols tensor.
func prepare(t testing.TB, p kernels.Provider, rows, cols int, data []float32) kernels.Weight {
	t.Helper()
	w, err := p.Prepare(kernels.Tensor{Name: "w", DType: kernels.F32, Rows: rows, Cols: cols, F32: data})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// assertIdentical fails unless got and want have the same bits.
func assertIdentical(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: len %d, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: [%d] = %v (%#08x), want %v (%#08x) exactly\ngot  %v\nwant %v", what, i,
				got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]), head(got), head(want))
		}
	}
}

func head(v []float32) []float32 { return v[:min(len(v), 8)] }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// band is the number of guard values on either side of a guarded slice.
const band = 64

// poison is the NaN with a recognisable payload that fills guard bands
// and unwritten outputs, so a stray write changes it and a stray read
// turns a result into NaN.
var poison = math.Float32frombits(0x7fc0_dead)

// guarded is a slice with band poison values on either side in its
// backing array; the slice's capacity reaches into the trailing band, so
// a kernel that reslices past len finds poison there rather than a panic.
type guarded struct {
	buf []float32
	n   int
}

// newGuarded returns n values copied from vals (poison where vals is
// shorter, so outputs start poisoned) between two guard bands.
func newGuarded(n int, vals []float32) guarded {
	g := guarded{buf: make([]float32, n+2*band), n: n}
	for i := range g.buf {
		g.buf[i] = poison
	}
	copy(g.buf[band:band+n], vals)
	return g
}

// s returns the guarded values.
func (g guarded) s() []float32 { return g.buf[band : band+g.n : band+g.n+band] }

// check fails unless both guard bands still hold poison.
func (g guarded) check(t *testing.T, what string) {
	t.Helper()
	for i, v := range g.buf {
		if (i < band || i >= band+g.n) && math.Float32bits(v) != math.Float32bits(poison) {
			t.Fatalf("%s: guard band overwritten at offset %d from the start (len %d): %v", what, i-band, g.n, v)
		}
	}
}
