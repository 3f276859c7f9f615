package unrolled

import (
	"fmt"

	"github.com/retrollama/retrollama/internal/kernels/exact"
	"github.com/retrollama/retrollama/kernels"
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
	exact.RMSNorm(out, x, m.data)
	return nil
}
