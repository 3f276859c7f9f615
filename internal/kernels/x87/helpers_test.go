package x87

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// guardLen is the number of sentinel values on each side of a guarded
// buffer.
const guardLen = 16

// guardBits is a quiet NaN whose payload marks the guard bands: a write
// past a buffer changes it, a read past it makes a NaN.
const guardBits = 0x7FC0_0887

// buffer is a slice in the middle of a larger allocation whose other
// values are guardBits sentinels (gonum's internal/asm guard tests).
type buffer struct {
	all []float32
	n   int
}

// guarded returns a guarded copy of v.
func guarded(v []float32) buffer {
	b := buffer{all: make([]float32, guardLen+len(v)+guardLen), n: len(v)}
	for i := range b.all {
		b.all[i] = math.Float32frombits(guardBits)
	}
	copy(b.all[guardLen:], v)
	return b
}

// s is the slice handed to a kernel; its capacity ends at its length, so
// only the assembly could reach the guards.
func (b buffer) s() []float32 { return b.all[guardLen : guardLen+b.n : guardLen+b.n] }

// check fails t if a guard value changed.
func (b buffer) check(t testing.TB, what string) {
	t.Helper()
	for i, v := range b.all {
		if (i < guardLen || i >= guardLen+b.n) && math.Float32bits(v) != guardBits {
			t.Fatalf("%s: guard value %d (buffer of %d) overwritten with %g", what, i-guardLen, b.n, v)
		}
	}
}

// same reports whether a and b have the same bits, or are both NaN.
func same(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || a != a && b != b
}

// assertIdentical fails t unless got and want are bit for bit the same
// (any NaN matching any NaN).
func assertIdentical(t testing.TB, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if !same(got[i], want[i]) {
			t.Fatalf("%s: [%d] = %g (%#08x), want %g (%#08x)", what, i,
				got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// uniform returns n values uniform in [lo, hi).
func uniform(r *rand.Rand, n int, lo, hi float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = lo + (hi-lo)*r.Float32()
	}
	return v
}

// sizes are the vector lengths the kernel tests sweep: unit, odd, below,
// at and above the four-row blocks, and the stories models' widths.
var sizes = []int{1, 2, 3, 4, 5, 7, 8, 9, 17, 64, 288, 768}

// unchanged fails t if v no longer equals its copy was.
func unchanged(t testing.TB, what string, v, was []float32) {
	t.Helper()
	if !slices.EqualFunc(v, was, same) {
		t.Fatalf("%s: input modified", what)
	}
}

func label(format string, a ...any) string { return fmt.Sprintf(format, a...) }
