package conformance

import (
	"fmt"
	"math"
)

// diff accumulates the comparison of a provider's outputs with the
// reference's, over all the outputs of one call.
type diff struct {
	sumSqDiff, sumSqRef float64
	maxAbs              float64
	maxAt               string // where maxAbs is, e.g. "out[17]: got 1.5, reference 1.49"
}

// add compares one output buffer, named name, with its reference.
func (d *diff) add(name string, got, want []float32) {
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		e := g - w
		d.sumSqDiff += e * e
		d.sumSqRef += w * w
		if a := math.Abs(e); a > d.maxAbs || math.IsNaN(a) && !math.IsNaN(d.maxAbs) {
			d.maxAbs = a
			d.maxAt = fmt.Sprintf("%s[%d]: got %g, reference %g", name, i, got[i], want[i])
		}
	}
}

// nmse is Σ(got-want)²/Σwant², ggml's normalised mean squared error: 0 when
// both are all zeros, +Inf when only the reference is.
func (d *diff) nmse() float64 {
	if d.sumSqRef == 0 {
		if d.sumSqDiff == 0 {
			return 0
		}
		return math.Inf(1)
	}
	return d.sumSqDiff / d.sumSqRef
}

// nonFinite returns the first index where got is NaN or ±Inf while want
// is finite, or -1.
func nonFinite(got, want []float32) int {
	for i, w := range want {
		if finite(w) && !finite(got[i]) {
			return i
		}
	}
	return -1
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }

// firstChange returns the first index where got and want differ bit for
// bit, or -1.
func firstChange(got, want []float32) int {
	for i, w := range want {
		if math.Float32bits(got[i]) != math.Float32bits(w) {
			return i
		}
	}
	return -1
}

// nanSource explains a NaN by its payload when it is one of the suite's
// sentinels, which arithmetic propagates: the provider read memory it had
// no business reading.
func nanSource(v float32) string {
	switch math.Float32bits(v) &^ (1 << 31) {
	case guardBits:
		return " (it carries the guard-band payload: the provider reads past a buffer)"
	case staleBits:
		return " (it carries the payload of the KV-cache rows past pos, which the contract makes invalid)"
	}
	return ""
}
