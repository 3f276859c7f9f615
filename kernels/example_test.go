package kernels_test

import (
	"errors"
	"fmt"

	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// The engine drives every provider through the same lifecycle: Supports
// for each op and weight, Init with the model's shape, Prepare for each
// weight, then the per-token calls, then Close. Here the scalar
// reference multiplies a 2×3 matrix by a vector.
func Example() {
	var p kernels.Provider = scalar.New()
	shape := kernels.Shape{Dim: 3, HiddenDim: 3, Heads: 1, KVHeads: 1, SeqLen: 4, VocabSize: 2, Layers: 1}
	q := kernels.Query{Op: kernels.MatMul, DType: kernels.F32, Model: shape, Rows: 2, Cols: 3}
	if s := p.Supports(q); !s.OK {
		fmt.Println("declined:", s.Reason)
		return
	}
	if err := p.Init(shape); err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()
	w, err := p.Prepare(kernels.Tensor{Name: "w", DType: kernels.F32, Rows: 2, Cols: 3, F32: []float32{
		1, 2, 3,
		4, 5, 6,
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	out := make([]float32, 2)
	if err := p.MatMul(out, w, []float32{1, 2, 3}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Name(), out)
	// Output: scalar [14 32]
}

// A provider that implements only some ops embeds Declined for the rest
// and says no in Supports; the engine then gives those ops to the next
// provider of the profile, the scalar reference last.
func ExampleDeclined() {
	d := kernels.Declined{Provider: "mine"}
	err := d.Softmax([]float32{1, 2})
	fmt.Println(err)
	fmt.Println(errors.Is(err, kernels.ErrDeclined))
	// Output:
	// mine: softmax: not supported (declined in Supports)
	// true
}
