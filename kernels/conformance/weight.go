package conformance

import (
	"fmt"

	"github.com/retrollama/retrollama/kernels"
)

// guardedQ8 is guarded for int8 values, a Q8_0 tensor's: the bands hold
// guardByte. Integers carry no NaN to show a stray read, so only writes
// are caught; the tensor's scales, guarded floats, catch reads.
type guardedQ8 struct {
	all []int8 // guard, contents, guard
	n   int    // length of the contents
}

// guardByte fills guardedQ8's bands: -128, which quantization never
// produces (it rounds into [-127, 127]).
const guardByte = -128

// newGuardedQ8 returns a guarded copy of init.
func newGuardedQ8(init []int8) guardedQ8 {
	g := guardedQ8{all: make([]int8, guardLen+len(init)+guardLen), n: len(init)}
	for i := range guardLen {
		g.all[i] = guardByte
		g.all[guardLen+g.n+i] = guardByte
	}
	copy(g.all[guardLen:], init)
	return g
}

// slice is the buffer handed to the provider, its capacity reaching to
// the end of the trailing guard.
func (g guardedQ8) slice() []int8 { return g.all[guardLen : guardLen+g.n] }

// damage is guarded.damage for int8 values.
func (g guardedQ8) damage() (where, detail string) {
	for i := range guardLen {
		if v := g.all[guardLen+g.n+i]; v != guardByte {
			return "past", fmt.Sprintf("byte %d after its end is %d", i, v)
		}
	}
	for i := range guardLen {
		if v := g.all[guardLen-1-i]; v != guardByte {
			return "before", fmt.Sprintf("byte %d before its start is %d", i, v)
		}
	}
	return "", ""
}

// guardedWeight is a weight tensor as handed to the provider under test:
// a copy of the original whose arrays (F32, or Q8 and Scales) are guarded.
type guardedWeight struct {
	orig   *kernels.Tensor // nil for ops without a weight
	tensor kernels.Tensor  // what Prepare gets
	f32    guarded         // F32 tensors
	q8     guardedQ8       // Q8_0 tensors
	scales guarded         // Q8_0 tensors
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
		g.q8, g.scales = newGuardedQ8(t.Q8), newGuarded(t.Scales)
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
