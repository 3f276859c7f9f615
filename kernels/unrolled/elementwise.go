package unrolled

import "github.com/retrollama/retrollama/internal/mathf"

// SwiGLU implements kernels.SwiGLU, bit-identical to the scalar reference.
func (p *Provider) SwiGLU(gate, up []float32) error {
	up = up[:len(gate)]
	for i, v := range gate {
		v *= 1 / (1 + mathf.Exp(-v))
		gate[i] = v * up[i]
	}
	return nil
}

// Softmax implements kernels.Softmax, bit-identical to the scalar
// reference.
func (p *Provider) Softmax(x []float32) error {
	softmax(x)
	return nil
}

// softmax is scalar's softmax: its sum stays sequential, so Softmax and
// the attention weights are exact.
func softmax(x []float32) {
	if len(x) == 0 {
		return
	}
	maxVal := x[0]
	for _, v := range x[1:] {
		if v > maxVal {
			maxVal = v
		}
	}
	var sum float32
	for i, v := range x {
		x[i] = mathf.Exp(v - maxVal)
		sum += x[i]
	}
	for i := range x {
		x[i] /= sum
	}
}

// sqrtf is the C library's sqrtf, as in the scalar reference.
func sqrtf(x float32) float32 { return mathf.Sqrt(x) }
