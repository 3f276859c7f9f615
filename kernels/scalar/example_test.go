package scalar_test

import (
	"fmt"

	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// A provider's whole test is the conformance suite, one line:
//
//	func TestConformance(t *testing.T) {
//		conformance.Test(t, "mine", func() kernels.Provider { return mine.New() })
//	}
//
// Between the engine and the loops, the scalar provider only checks and
// keeps the weights it is given; its MatMul on an F32 weight is
// MatMulF32, which a provider whose boundary hands it plain slices (a
// WASM module, a plugin) may call directly.
func Example() {
	p := scalar.New()
	if err := p.Init(kernels.Shape{Dim: 2, HiddenDim: 2, Heads: 1, KVHeads: 1, SeqLen: 1, VocabSize: 2}); err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()
	w := []float32{1, 2, 3, 4}
	prepared, err := p.Prepare(kernels.Tensor{Name: "w", DType: kernels.F32, Rows: 2, Cols: 2, F32: w})
	if err != nil {
		fmt.Println(err)
		return
	}
	x := []float32{0.5, -1}
	viaProvider, direct := make([]float32, 2), make([]float32, 2)
	if err := p.MatMul(viaProvider, prepared, x); err != nil {
		fmt.Println(err)
		return
	}
	scalar.MatMulF32(direct, w, x)
	fmt.Println(viaProvider, direct)
	// Output: [-1.5 -2.5] [-1.5 -2.5]
}

// Quantize is runq.c's quantization, of a Q8_0 matmul's input and of a
// checkpoint's weights: each group's scale is its largest magnitude over
// 127, and each value is rounded half away from zero to a multiple of it.
func ExampleQuantize() {
	x := []float32{0.5, -1, 0.25, 0, 2, 4, -8, 1}
	q, scales := make([]int8, len(x)), make([]float32, len(x)/4)
	scalar.Quantize(q, scales, x, 4)
	fmt.Println(q)
	fmt.Println(scales[0]*127, scales[1]*127)
	// Output:
	// [64 -127 32 0 32 64 -127 16]
	// 1 8
}
