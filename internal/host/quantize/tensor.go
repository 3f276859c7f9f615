package quantize

import (
	"fmt"
	"math"

	"github.com/retrollama/retrollama/kernels"
)

// quantizeTensor quantizes w into dst (a Q8_0 tensor whose GroupSize
// divides len(w); its values and scales are allocated here) group by
// group as export.py's quantize_q80 does, and returns the largest
// |w − q·s| with q·s computed in float32 as runq.c dequantizes, and the
// relative RMS error. Values must be finite.
func quantizeTensor(dst *kernels.Tensor, w []float32) (quantError, error) {
	dst.Q8, dst.Scales = make([]int8, len(w)), make([]float32, len(w)/dst.GroupSize)
	return quantizeInto(*dst, w, true)
}

// quantError is a quantized matrix's error: the largest |w − q·s|, and
// the relative RMS error sqrt(Σ(w − q·s)² / Σw²) (0 for an all-zero w).
type quantError struct{ max, rel float64 }

// quantizeGroups quantizes w into dst, a Q8_0 tensor sized for it
// (len(dst.Q8) == len(w), len(dst.Scales) == len(w)/dst.GroupSize),
// without measuring the error: the checkpoint.QuantizeFunc that Synthetic
// passes to checkpoint.SyntheticQ8.
func quantizeGroups(dst kernels.Tensor, w []float32) error {
	gs := dst.GroupSize
	if gs <= 0 || len(w)%gs != 0 || len(dst.Q8) != len(w) || len(dst.Scales) != len(w)/gs {
		return fmt.Errorf("quantizing %d values in groups of %d into %d values and %d scales", len(w), gs, len(dst.Q8), len(dst.Scales))
	}
	_, err := quantizeInto(dst, w, false)
	return err
}

// quantizeInto quantizes w into dst, sized for it, as quantizeTensor
// describes; with measure it returns the errors, else zeros (saving the
// float work on machines where it is emulated in software).
func quantizeInto(m kernels.Tensor, w []float32, measure bool) (quantError, error) {
	gs := m.GroupSize
	var maxErr, num, den float64
	for g := range m.Scales {
		group := w[g*gs : (g+1)*gs]
		var wmax float32
		for i, v := range group {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return quantError{}, fmt.Errorf("value %d is %v", g*gs+i, v)
			}
			wmax = max(wmax, float32(math.Abs(float64(v))))
		}
		scale := wmax / 127 // float32, as torch divides a float32 tensor
		m.Scales[g] = scale
		q := m.Q8[g*gs : (g+1)*gs]
		for i, v := range group {
			q[i] = 0
			if scale != 0 { // else an all-zero (or all-subnormal) group: q is 0
				// v/scale is a float32 division, as in torch; clamping only
				// matters when scale itself is subnormal and inexact.
				r := math.RoundToEven(float64(v / scale))
				q[i] = int8(min(max(r, -127), 127))
			}
			if measure {
				d := float64(v) - float64(float32(q[i])*scale)
				maxErr = max(maxErr, math.Abs(d))
				num += d * d
				den += float64(v) * float64(v)
			}
		}
	}
	e := quantError{max: maxErr}
	if den > 0 {
		e.rel = math.Sqrt(num / den)
	}
	return e, nil
}
