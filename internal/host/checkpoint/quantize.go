package checkpoint

import (
	"fmt"
	"math"

	"github.com/retrollama/retrollama/kernels"
)

// Quantize sets dst, a Q8_0 tensor sized for w (len(dst.Q8) == len(w),
// len(dst.Scales) == len(w)/dst.GroupSize), to w quantized group by group
// as llama2.c's export.py (quantize_q80) does: per group scale =
// max|w|/127 in float32 and q = round-half-to-even(w/scale) (torch.round);
// an all-zero group gets scale 0 and values 0. It is the Q8_0 format's
// encoding, as DequantizeRange is its decoding. Values must be finite.
func Quantize(dst kernels.Tensor, w []float32) error {
	gs := dst.GroupSize
	if gs <= 0 || len(w)%gs != 0 || len(dst.Q8) != len(w) || len(dst.Scales) != len(w)/gs {
		return fmt.Errorf("quantizing %d values in groups of %d into %d values and %d scales", len(w), gs, len(dst.Q8), len(dst.Scales))
	}
	_, err := quantizeQ8(dst, w, false)
	return err
}

// QuantError is a quantized tensor's error: the largest |w − q·s|, with
// q·s computed in float32 as runq.c dequantizes, and the relative RMS
// error sqrt(Σ(w − q·s)² / Σw²) (0 for an all-zero w).
type QuantError struct{ Max, Rel float64 }

// QuantizeMeasured is Quantize, dst sized for w as Quantize requires, also
// returning the quantization error.
func QuantizeMeasured(dst kernels.Tensor, w []float32) (QuantError, error) {
	gs := dst.GroupSize
	if gs <= 0 || len(w)%gs != 0 || len(dst.Q8) != len(w) || len(dst.Scales) != len(w)/gs {
		return QuantError{}, fmt.Errorf("quantizing %d values in groups of %d into %d values and %d scales", len(w), gs, len(dst.Q8), len(dst.Scales))
	}
	return quantizeQ8(dst, w, true)
}

// quantizeQ8 quantizes w into m, sized for it, as Quantize describes; with
// measure it returns the errors, else zeros (saving the float work on
// machines where it is emulated in software).
func quantizeQ8(m kernels.Tensor, w []float32, measure bool) (QuantError, error) {
	gs := m.GroupSize
	var maxErr, num, den float64
	for g := range m.Scales {
		group := w[g*gs : (g+1)*gs]
		var wmax float32
		for i, v := range group {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return QuantError{}, fmt.Errorf("value %d is %v", g*gs+i, v)
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
	e := QuantError{Max: maxErr}
	if den > 0 {
		e.Rel = math.Sqrt(num / den)
	}
	return e, nil
}
