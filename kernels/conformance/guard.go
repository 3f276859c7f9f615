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
// a sentinel on both sides, gonum's internal/asm guard test: slice's
// capacity reaches through the trailing band, so even out[:cap(out)]
// writes stay inside the allocation and are caught. Float buffers are
// guarded by guardBits, a NaN, so that a stray read shows too; int8
// buffers (a Q8_0 tensor's values) by guardByte, which catches writes
// only (the tensor's scales, guarded floats, catch reads).
type guarded[T float32 | int8] struct {
	all []T // guard, contents, guard
	n   int // length of the contents
}

// guardByte fills the bands of int8 buffers: -128, which quantization
// never produces (it rounds into [-127, 127]).
const guardByte = -128

// sentinel is the value that fills the bands of a buffer of T.
func sentinel[T float32 | int8]() T {
	var v T
	switch p := any(&v).(type) {
	case *float32:
		*p = math.Float32frombits(guardBits)
	case *int8:
		*p = guardByte
	}
	return v
}

// isSentinel reports whether v is T's sentinel, bit for bit.
func isSentinel[T float32 | int8](v T) bool {
	switch v := any(v).(type) {
	case float32:
		return math.Float32bits(v) == guardBits
	case int8:
		return v == guardByte
	}
	return false
}

// newGuarded returns a guarded copy of init.
func newGuarded[T float32 | int8](init []T) guarded[T] {
	g := guarded[T]{all: make([]T, guardLen+len(init)+guardLen), n: len(init)}
	s := sentinel[T]()
	for i := range guardLen {
		g.all[i] = s
		g.all[guardLen+g.n+i] = s
	}
	copy(g.all[guardLen:], init)
	return g
}

// slice is the buffer handed to the provider: length n, capacity reaching
// to the end of the trailing guard.
func (g guarded[T]) slice() []T { return g.all[guardLen : guardLen+g.n] }

// damage reports the first overwritten guard value: where is "past" or
// "before" (the buffer), detail the offset and the value found; where is
// "" when both bands are intact.
func (g guarded[T]) damage() (where, detail string) {
	unit := "float"
	if _, ok := any(g.all).([]int8); ok {
		unit = "byte"
	}
	for i := range guardLen {
		if v := g.all[guardLen+g.n+i]; !isSentinel(v) {
			return "past", fmt.Sprintf("%s %d after its end is %v", unit, i, v)
		}
	}
	for i := range guardLen {
		if v := g.all[guardLen-1-i]; !isSentinel(v) {
			return "before", fmt.Sprintf("%s %d before its start is %v", unit, i, v)
		}
	}
	return "", ""
}
