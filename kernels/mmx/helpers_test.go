package mmx

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// stories15M is the shape of karpathy's stories15M.
var stories15M = kernels.Shape{Dim: 288, HiddenDim: 768, Heads: 6, KVHeads: 6, SeqLen: 256, VocabSize: 32000}

// testShape is a small model; buffers grow at Prepare for wider matrices.
var testShape = kernels.Shape{Dim: 64, HiddenDim: 160, Heads: 8, KVHeads: 4, SeqLen: 64, VocabSize: 100}

// initialised returns an Init'ed provider closed at the end of the test.
func initialised(t testing.TB, p kernels.Provider, s kernels.Shape) kernels.Provider {
	t.Helper()
	if err := p.Init(s); err != nil {
		t.Fatalf("%s: %v", p.Name(), err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// random returns n values uniform in [-1, 1) from r.
func random(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = 2*r.Float32() - 1
	}
	return v
}

// q8Tensor quantizes rows×cols weights w in groups of gs, as runq.c
// quantizes a checkpoint.
func q8Tensor(w []float32, rows, cols, gs int) kernels.Tensor {
	q, s := make([]int8, len(w)), make([]float32, len(w)/gs)
	scalar.Quantize(q, s, w, gs)
	return kernels.Tensor{Name: "wq8", DType: kernels.Q8_0, Rows: rows, Cols: cols, Q8: q, Scales: s, GroupSize: gs}
}

// sameBits reports whether a and b hold the same bits.
func sameBits(a, b []float32) (int, bool) {
	if len(a) != len(b) {
		return -1, false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i, false
		}
	}
	return 0, true
}

// guarded returns a slice of n values inside a larger allocation whose
// other elements hold a NaN sentinel, and a check that they still do.
func guarded(t testing.TB, n int) ([]float32, func(what string)) {
	const band = 16
	sentinel := math.Float32frombits(0x7FC0BEEF)
	all := make([]float32, band+n+band)
	for i := range all {
		all[i] = sentinel
	}
	return all[band : band+n : band+n], func(what string) {
		t.Helper()
		for i, v := range all {
			if (i < band || i >= band+n) && math.Float32bits(v) != 0x7FC0BEEF {
				t.Fatalf("%s: wrote %v at %d outside the output's %d values", what, v, i-band, n)
			}
		}
	}
}
