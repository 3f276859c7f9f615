package kerneltest

import (
	"math"
	"testing"
)

// Same reports whether a and b are the same float32: the same bits, or
// both NaN. A NaN's payload depends on which operand a compiler puts
// first in the reference's commutative multiply, which the language does
// not fix; it is never part of a result that matters.
func Same(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || a != a && b != b
}

// Mismatch returns the first index at which got and want are not Same,
// len(want) when got is shorter or longer, or -1 when they are identical.
func Mismatch(got, want []float32) int {
	if len(got) != len(want) {
		return len(want)
	}
	for i := range want {
		if !Same(got[i], want[i]) {
			return i
		}
	}
	return -1
}

// AssertIdentical fails tb unless got and want are bit for bit the same
// (see Same).
func AssertIdentical(tb testing.TB, what string, got, want []float32) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	if i := Mismatch(got, want); i >= 0 {
		tb.Fatalf("%s: [%d] = %v (%#08x), want %v (%#08x)\ngot  %v\nwant %v", what, i,
			got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]), head(got), head(want))
	}
}

func head(v []float32) []float32 { return v[:min(len(v), 8)] }

// guardBand is the number of guard values on either side of a Guarded
// slice.
const guardBand = 64

// poisonBits is the quiet NaN, with a recognisable payload, that fills
// guard bands and unwritten outputs: a stray write changes it, a stray
// read turns a result into NaN.
const poisonBits = 0x7fc0_dead

// Guarded is a slice with guard bands of poison on either side in its
// backing array (gonum's internal/asm guard tests): a kernel that writes
// outside it, in Go or in assembly, changes a guard. The slice's capacity
// reaches into the trailing band, so a Go kernel that reslices past its
// length finds poison there rather than a panic.
type Guarded struct {
	buf []float32
	n   int
}

// NewGuarded returns n values copied from vals (poison where vals is
// shorter, so an output starts poisoned) between two guard bands.
func NewGuarded(n int, vals []float32) Guarded {
	g := Guarded{buf: make([]float32, n+2*guardBand), n: n}
	for i := range g.buf {
		g.buf[i] = math.Float32frombits(poisonBits)
	}
	copy(g.buf[guardBand:guardBand+n], vals)
	return g
}

// GuardedCopy returns a guarded copy of v.
func GuardedCopy(v []float32) Guarded { return NewGuarded(len(v), v) }

// S returns the guarded values.
func (g Guarded) S() []float32 { return g.buf[guardBand : guardBand+g.n : guardBand+g.n+guardBand] }

// Check fails tb unless both guard bands still hold poison.
func (g Guarded) Check(tb testing.TB, what string) {
	tb.Helper()
	for i, v := range g.buf {
		if (i < guardBand || i >= guardBand+g.n) && math.Float32bits(v) != poisonBits {
			tb.Fatalf("%s: guard overwritten at offset %d from the start (len %d): %v", what, i-guardBand, g.n, v)
		}
	}
}

// GuardedOut returns a poisoned output of n values (see Guarded) and a
// check that its guards are intact.
func GuardedOut(tb testing.TB, n int) ([]float32, func(what string)) {
	g := NewGuarded(n, nil)
	return g.S(), func(what string) {
		tb.Helper()
		g.Check(tb, what)
	}
}
