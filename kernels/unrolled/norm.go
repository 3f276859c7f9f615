package unrolled

import (
	"fmt"

	"github.com/retrollama/retrollama/internal/mathf"
	"github.com/retrollama/retrollama/kernels"
)

// RMSNorm implements kernels.RMSNorm. The sum of squares is an unrolled
// dot product of x with itself; the rest is scalar's arithmetic, in
// scalar's order. Its weight must be F32.
func (p *Provider) RMSNorm(out, x []float32, w kernels.Weight) error {
	m, ok := w.(*matrix)
	if !ok {
		if _, q8 := w.(*q8Matrix); q8 {
			return fmt.Errorf("%s: rmsnorm: dtype %v not supported", p.name, kernels.Q8_0)
		}
		return kernels.ErrForeignWeight
	}
	n := len(x)
	ss := p.dot(x, x)
	ss /= float32(n)
	ss += 1e-5
	ss = 1 / mathf.Sqrt(ss)
	out, wd := out[:n:n], m.data[:n:n]
	for j, v := range x {
		out[j] = wd[j] * (ss * v)
	}
	return nil
}
