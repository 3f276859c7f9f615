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

	// Exact comparison: the first value whose bits differ (see same),
	// how many differ and how many were compared.
	first         *Mismatch
	differ, total int
}

// add compares one output buffer, named name, with its reference.
func (d *diff) add(name string, got, want []float32) {
	for i := range want {
		d.total++
		if !same(got[i], want[i]) {
			d.differ++
			if d.first == nil {
				d.first = &Mismatch{Output: name, Index: i, Got: math.Float32bits(got[i]), Want: math.Float32bits(want[i])}
			}
		}
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

// mismatch returns the exact comparison's first differing value with the
// counts filled in, or nil when every value is the same.
func (d *diff) mismatch() *Mismatch {
	if d.first == nil {
		return nil
	}
	m := *d.first
	m.Count, m.Total = d.differ, d.total
	return &m
}

// same is exact mode's equality: the same float32 bits (so +0 and -0
// differ, as they do in run.c's arithmetic: 1/x, or a sum of -0 terms
// that run.c starts at +0.0f), except that where want is NaN any NaN
// matches. NaN payloads and signs are not specified by IEEE 754 for
// arithmetic results and differ between x87, SSE, NEON and WASM (whose
// spec makes them nondeterministic); printing or sampling never reads
// them, so requiring the reference's would fail correct providers for
// nothing. A NaN where the reference is a number is a mismatch (and
// the finite check names it first).
func same(got, want float32) bool {
	if want != want {
		return got != got
	}
	return math.Float32bits(got) == math.Float32bits(want)
}

// Mismatch is where an exact-mode check found a provider's output
// differing from the reference's: the first differing value in the
// order the op's outputs are compared (the method's parameter order),
// with both values' float32 bits so a one-ulp difference is visible.
type Mismatch struct {
	Output    string // the output operand, as in the method's signature: "out", or RoPE's "q" or "k"
	Index     int    // the value's index in that operand
	Got, Want uint32 // float32 bits of the provider's value and the reference's
	Count     int    // how many values differ, over all the call's outputs
	Total     int    // how many values were compared
}

// String formats m for a failure message, e.g. "out[17]: got
// 0x3f800001 (1.0000001), want 0x3f800000 (1); 1 of 288 values differ".
func (m Mismatch) String() string {
	g, w := math.Float32frombits(m.Got), math.Float32frombits(m.Want)
	return fmt.Sprintf("%s[%d]: got 0x%08x (%v), want 0x%08x (%v)%s; %d of %d values differ",
		m.Output, m.Index, m.Got, g, m.Want, w, ulps(m.Got, m.Want), m.Count, m.Total)
}

// ulps describes how many units in the last place apart two finite
// values of the same sign are, e.g. " (1 ulp)"; "" otherwise.
func ulps(a, b uint32) string {
	fa, fb := math.Float32frombits(a), math.Float32frombits(b)
	if !finite(fa) || !finite(fb) || a>>31 != b>>31 {
		return ""
	}
	n := int64(a) - int64(b)
	if n < 0 {
		n = -n
	}
	if n == 1 {
		return " (1 ulp)"
	}
	return fmt.Sprintf(" (%d ulps)", n)
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
