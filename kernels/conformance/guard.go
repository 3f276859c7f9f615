package conformance

import (
	"fmt"
	"math"
)

const (
	// guardLen is the guard band on each side of a buffer: 256 bytes,
	// four 512-bit vectors, more than any vector loop's overshoot.
	guardLen = 64
	// guardBits is a quiet NaN whose payload marks guard bands, so a
	// stray write is seen bit for bit and a stray read shows up as a NaN
	// carrying this payload.
	guardBits = 0x7FC0_1234
	// staleBits is a quiet NaN filling the KV-cache rows past pos, which
	// the contract declares invalid.
	staleBits = 0x7FC0_DEAD
)

// guarded is a buffer in the middle of a larger allocation filled with
// guardBits on both sides, gonum's internal/asm guard test: slice's
// capacity reaches through the trailing band, so even out[:cap(out)]
// writes stay inside the allocation and are caught.
type guarded struct {
	all []float32 // guard, contents, guard
	n   int       // length of the contents
}

// newGuarded returns a guarded copy of init.
func newGuarded(init []float32) guarded {
	g := guarded{all: make([]float32, guardLen+len(init)+guardLen), n: len(init)}
	sentinel := math.Float32frombits(guardBits)
	for i := range guardLen {
		g.all[i] = sentinel
		g.all[guardLen+g.n+i] = sentinel
	}
	copy(g.all[guardLen:], init)
	return g
}

// slice is the buffer handed to the provider: length n, capacity reaching
// to the end of the trailing guard.
func (g guarded) slice() []float32 { return g.all[guardLen : guardLen+g.n] }

// damage reports the first overwritten guard value: where is "past" or
// "before" (the buffer), detail the offset and the value found; where is
// "" when both bands are intact.
func (g guarded) damage() (where, detail string) {
	for i := range guardLen {
		if v := g.all[guardLen+g.n+i]; math.Float32bits(v) != guardBits {
			return "past", fmt.Sprintf("float %d after its end is %g", i, v)
		}
	}
	for i := range guardLen {
		if v := g.all[guardLen-1-i]; math.Float32bits(v) != guardBits {
			return "before", fmt.Sprintf("float %d before its start is %g", i, v)
		}
	}
	return "", ""
}
