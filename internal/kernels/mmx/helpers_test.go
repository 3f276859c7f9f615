package mmx

import (
	"math"
	"testing"

	"github.com/retrollama/retrollama/kernels"
)

// testShape is a small model; buffers grow at Prepare for wider matrices.
var testShape = kernels.Shape{Dim: 64, HiddenDim: 160, Heads: 8, KVHeads: 4, SeqLen: 64, VocabSize: 100}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
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
