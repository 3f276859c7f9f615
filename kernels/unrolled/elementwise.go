package unrolled

import (
	"github.com/retrollama/retrollama/internal/mathf"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// SwiGLU implements kernels.SwiGLU: the reference's, which is elementwise
// and has nothing to unroll.
func (p *Provider) SwiGLU(gate, up []float32) error {
	scalar.SwiGLUInPlace(gate, up)
	return nil
}

// Softmax implements kernels.Softmax: the reference's, whose sum stays
// sequential so Softmax and the attention weights are exact.
func (p *Provider) Softmax(x []float32) error {
	scalar.SoftmaxInPlace(x)
	return nil
}

// sqrtf is the C library's sqrtf, as in the scalar reference.
func sqrtf(x float32) float32 { return mathf.Sqrt(x) }
