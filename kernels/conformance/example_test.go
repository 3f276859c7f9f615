package conformance_test

import (
	"fmt"

	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/conformance"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// Run checks a provider on every op of every default case and returns one
// Result per call; here the scalar reference, which passes bit for bit.
// A provider's test is the one-line conformance.Test(t, name, factory),
// which reports the same results through go test.
func ExampleRun() {
	results := conformance.Run("scalar", func() kernels.Provider { return scalar.New() }, conformance.Options{Short: true})
	ops := map[kernels.Op]bool{}
	failed := 0
	for _, r := range results {
		ops[r.Op] = true
		if !r.Passed() {
			failed++
			fmt.Println(r)
		}
	}
	fmt.Printf("%d ops checked, %d calls failed, mode %v\n", len(ops), failed, results[0].Mode)
	// Output: 6 ops checked, 0 calls failed, mode exact
}

// Replay checks a provider on calls given one by one (recorded from a
// real forward pass by a Recorder, or written by hand, as here); a call
// without Want is compared with the scalar reference's outputs.
func ExampleReplay() {
	shape := kernels.Shape{Dim: 4, HiddenDim: 4, Heads: 1, KVHeads: 1, SeqLen: 1, VocabSize: 4}
	calls := []conformance.Call{{Op: kernels.Softmax, Case: "four values", X: []float32{1, 2, 3, 4}}}
	for _, r := range conformance.Replay("scalar", func() kernels.Provider { return scalar.New() }, shape, calls, conformance.Options{}) {
		fmt.Println(r)
	}
	// Output: ok   scalar: softmax on "four values": bit-identical (exact)
}
