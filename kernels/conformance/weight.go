package conformance

import (
	"fmt"

	"github.com/retrollama/retrollama/kernels"
)

// guardedWeight is a weight tensor as handed to the provider under test:
// a copy of the original whose arrays (F32, or Q8 and Scales) are guarded.
type guardedWeight struct {
	orig   *kernels.Tensor  // nil for ops without a weight
	tensor kernels.Tensor   // what Prepare gets
	f32    guarded[float32] // F32 tensors
	q8     guarded[int8]    // Q8_0 tensors
	scales guarded[float32] // Q8_0 tensors
}

// newGuardedWeight makes guarded copies of t's arrays; t may be nil.
func newGuardedWeight(t *kernels.Tensor) guardedWeight {
	g := guardedWeight{orig: t}
	if t == nil {
		return g
	}
	g.tensor = *t
	switch t.DType {
	case kernels.F32:
		g.f32 = newGuarded(t.F32)
		g.tensor.F32 = g.f32.slice()
	case kernels.Q8_0:
		g.q8, g.scales = newGuarded(t.Q8), newGuarded(t.Scales)
		g.tensor.Q8, g.tensor.Scales = g.q8.slice(), g.scales.slice()
	}
	return g
}

// problems lists the provider's writes outside the tensor's arrays and
// changes to them; the tensor is read-only by the contract.
func (g guardedWeight) problems() []string {
	t := g.orig
	if t == nil {
		return nil
	}
	var problems []string
	damaged := func(what string, damage func() (where, detail string)) {
		if where, detail := damage(); where != "" {
			problems = append(problems, fmt.Sprintf("writes %s its weight tensor %s%s (%s)", where, t.Name, what, detail))
		}
	}
	switch t.DType {
	case kernels.F32:
		damaged("", g.f32.damage)
		if j := firstChange(g.f32.slice(), t.F32); j >= 0 {
			problems = append(problems, fmt.Sprintf("modifies the weight tensor %s (value %d = %g, was %g)", t.Name, j, g.f32.slice()[j], t.F32[j]))
		}
	case kernels.Q8_0:
		damaged("'s q8_0 values", g.q8.damage)
		damaged("'s scales", g.scales.damage)
		for j, v := range g.q8.slice() {
			if v != t.Q8[j] {
				problems = append(problems, fmt.Sprintf("modifies the weight tensor %s (q8_0 value %d = %d, was %d)", t.Name, j, v, t.Q8[j]))
				break
			}
		}
		if j := firstChange(g.scales.slice(), t.Scales); j >= 0 {
			problems = append(problems, fmt.Sprintf("modifies the weight tensor %s (scale %d = %g, was %g)", t.Name, j, g.scales.slice()[j], t.Scales[j]))
		}
	}
	return problems
}
