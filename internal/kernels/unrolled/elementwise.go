package unrolled

import (
	"github.com/retrollama/retrollama/kernels/mathf"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// parallelSwiGLU is the shortest SwiGLU split over the pool. Why 256:
// RATIONALE.md, section "Unrolled kernels".
const parallelSwiGLU = 256

// swigluUnit is the elements the pool hands out at a time: whole cache
// lines of gate, so two threads never write one line.
const swigluUnit = 64

// SwiGLU implements kernels.SwiGLU: the reference's, element by element
// (nothing to unroll), split over the pool for long vectors; each
// element's result depends only on its own inputs.
func (p *Provider) SwiGLU(gate, up []float32) error {
	if len(gate) < parallelSwiGLU || p.pool.Size() == 1 {
		scalar.SwiGLUInPlace(gate, up)
		return nil
	}
	p.swiglu = swigluTask{gate: gate, up: up[:len(gate)]}
	p.pool.RunTask((len(gate)+swigluUnit-1)/swigluUnit, &p.swiglu)
	p.swiglu = swigluTask{}
	return nil
}

// swigluTask is a SwiGLU split by units of swigluUnit elements; it lives
// in the Provider so that handing it to the pool allocates nothing.
type swigluTask struct{ gate, up []float32 }

// Do implements workpool.Task: units [lo, hi).
func (t *swigluTask) Do(lo, hi int) {
	a, b := lo*swigluUnit, min(hi*swigluUnit, len(t.gate))
	scalar.SwiGLUInPlace(t.gate[a:b], t.up[a:b])
}

// Softmax implements kernels.Softmax: the reference's, whose sum stays
// sequential so Softmax and the attention weights are exact.
func (p *Provider) Softmax(x []float32) error {
	scalar.SoftmaxInPlace(x)
	return nil
}

// sqrtf is the C library's sqrtf, as in the scalar reference.
func sqrtf(x float32) float32 { return mathf.Sqrt(x) }
