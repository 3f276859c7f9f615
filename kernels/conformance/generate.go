package conformance

import (
	"fmt"
	"iter"
	"math"

	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// calls yields the calls of case c with random inputs from seed, one at a
// time so that only one call's tensors (up to a 32000×768 classifier) are
// alive at once. The ranges mimic a real model's activations; attention's
// q and k give scores of standard deviation ~1.3, so its softmax neither
// saturates nor flattens.
func (c Case) calls(seed uint64) iter.Seq[Call] {
	return func(yield func(Call) bool) {
		s := c.Shape
		label := func(format string, a ...any) string { return c.Name + " " + fmt.Sprintf(format, a...) }
		var gen []Call
		if c.has(kernels.MatMul) {
			for _, m := range c.Matrices {
				l := label("%s %dx%d", m.Name, m.Rows, m.Cols)
				r := newRNG(seed, l)
				scale := float32(1 / math.Sqrt(float64(m.Cols)))
				w := tensor(m.Name, m.Rows, m.Cols, r.uniform(m.Rows*m.Cols, -scale, scale))
				x := r.uniform(m.Cols, -2, 2)
				if !yield(Call{Op: kernels.MatMul, Case: l, Weight: w, X: x}) {
					return
				}
				if gs := m.groupSize(c); gs > 0 {
					l := fmt.Sprintf("%s q8_0 gs=%d", l, gs)
					if !yield(Call{Op: kernels.MatMul, Case: l, Weight: quantized(w, gs), X: x}) {
						return
					}
				}
			}
		}
		if c.has(kernels.RMSNorm) {
			for _, inPlace := range []bool{false, true} {
				l := label("n=%d", s.Dim)
				if inPlace {
					l += " in place"
				}
				r := newRNG(seed, l)
				w := tensor("rms", 1, s.Dim, r.uniform(s.Dim, 0.5, 1.5))
				gen = append(gen, Call{Op: kernels.RMSNorm, Case: l, Weight: w, X: r.uniform(s.Dim, -2, 2), InPlace: inPlace})
			}
		}
		if c.has(kernels.RoPE) && s.HeadSize()%2 == 0 {
			for _, pos := range c.Positions {
				l := label("pos=%d", pos)
				r := newRNG(seed, "rope "+l)
				gen = append(gen, Call{Op: kernels.RoPE, Case: l, Q: r.uniform(s.Dim, -2, 2), K: r.uniform(s.KVDim(), -2, 2), Pos: pos})
			}
		}
		if c.has(kernels.Attention) {
			for _, pos := range c.Positions {
				l := label("pos=%d", pos)
				r := newRNG(seed, "attention "+l)
				rows := (pos + 1) * s.KVDim()
				gen = append(gen, Call{Op: kernels.Attention, Case: l, Q: r.uniform(s.Dim, -2, 2),
					Keys: r.uniform(rows, -2, 2), Values: r.uniform(rows, -1, 1), Pos: pos})
			}
		}
		if c.has(kernels.SwiGLU) {
			l := label("n=%d", s.HiddenDim)
			r := newRNG(seed, "swiglu "+l)
			gen = append(gen, Call{Op: kernels.SwiGLU, Case: l, Gate: r.uniform(s.HiddenDim, -8, 8), Up: r.uniform(s.HiddenDim, -2, 2)})
		}
		if c.has(kernels.Softmax) {
			l := label("n=%d", s.VocabSize)
			r := newRNG(seed, "softmax "+l)
			gen = append(gen,
				Call{Op: kernels.Softmax, Case: l, X: r.uniform(s.VocabSize, -10, 10)},
				Call{Op: kernels.Softmax, Case: l + " large logits", X: r.uniform(s.VocabSize, 80, 100)})
		}
		for _, call := range gen {
			if !yield(call) {
				return
			}
		}
	}
}

// quantized returns the Q8_0 tensor of t's weights in groups of
// groupSize, quantized as runq.c does (with the reference's
// scalar.Quantize).
func quantized(t kernels.Tensor, groupSize int) kernels.Tensor {
	q, s := make([]int8, len(t.F32)), make([]float32, len(t.F32)/groupSize)
	scalar.Quantize(q, s, t.F32, groupSize)
	return kernels.Tensor{Name: t.Name, DType: kernels.Q8_0, Rows: t.Rows, Cols: t.Cols, Q8: q, Scales: s, GroupSize: groupSize}
}

// tensor wraps generated weights as the engine would hand them to Prepare.
func tensor(name string, rows, cols int, data []float32) kernels.Tensor {
	return kernels.Tensor{Name: name, DType: kernels.F32, Rows: rows, Cols: cols, F32: data}
}
