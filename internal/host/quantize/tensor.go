package quantize

import (
	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/kernels"
)

// quantizeTensor quantizes w into dst, a Q8_0 tensor whose GroupSize
// divides len(w) (its values and scales are allocated here), with
// checkpoint.QuantizeMeasured: export.py's rules, and the error.
func quantizeTensor(dst *kernels.Tensor, w []float32) (checkpoint.QuantError, error) {
	dst.Q8, dst.Scales = make([]int8, len(w)), make([]float32, len(w)/dst.GroupSize)
	return checkpoint.QuantizeMeasured(*dst, w)
}
