package unrolled

import (
	"fmt"

	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/mathf"
)

// RMSNorm implements kernels.RMSNorm, bit-identical to the scalar
// reference: the sum of squares is one sequential sum, as in run.c (it is
// a single short sum, not worth any other form), and each output is
// w[j]·(ss·x[j]) in that order. Its weight must be F32.
func (p *Provider) RMSNorm(out, x []float32, w kernels.Weight) error {
	m, ok := w.(*matrix)
	if !ok {
		if _, q8 := w.(*q8Matrix); q8 {
			return fmt.Errorf("%s: rmsnorm: dtype %v not supported", p.name, kernels.Q8_0)
		}
		return kernels.ErrForeignWeight
	}
	n := len(x)
	var ss float32
	for _, v := range x {
		ss += float32(v * v) // the conversion forbids a fused multiply-add
	}
	ss /= float32(n)
	ss += 1e-5
	ss = 1 / mathf.Sqrt(ss)
	out, wd := out[:n:n], m.data[:n:n]
	for j, v := range x {
		out[j] = wd[j] * (ss * v)
	}
	return nil
}
