package unrolled

import (
	"math"
	"testing"

	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/internal/kerneltest"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// maxNMSE is the largest normalised mean squared error allowed against
// the scalar reference for the reordered sums: float32 reassociation
// errors are ~1e-7 relative, so ~1e-14 in NMSE; 1e-10 leaves room
// without letting a wrong index through.
const maxNMSE = 1e-10

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

// assertClose fails unless got is within maxNMSE of want.
func assertClose(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: len %d, want %d", what, len(got), len(want))
	}
	if e := kerneltest.NMSE(got, want); !(e <= maxNMSE) {
		t.Fatalf("%s: NMSE %g > %g\ngot  %v\nwant %v", what, e, maxNMSE, head(got), head(want))
	}
}

// assertIdentical fails unless got and want have the same bits.
func assertIdentical(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: len %d, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: [%d] = %v, want %v exactly", what, i, got[i], want[i])
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
