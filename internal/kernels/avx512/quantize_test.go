package avx512

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/retrollama/retrollama/internal/kernels/kerneltest"
)

// withCorrections is quantizeFast as a kerneltest.FastQuantizer that
// also checks the corrections it returns: 128 times each group's sum of
// q, and nothing written past them.
func withCorrections(tb testing.TB, q []int8, s []float32, x []float32, gs int) bool {
	tb.Helper()
	const guard = 16
	corr := make([]int32, len(s)+guard)
	ok := quantizeFast(q, s, corr[:len(s)], x, gs)
	if slices.ContainsFunc(corr[len(s):], func(v int32) bool { return v != 0 }) {
		tb.Fatal("wrote past the corrections")
	}
	for g := range s {
		var sum int32
		for _, v := range q[g*gs : (g+1)*gs] {
			sum += int32(v)
		}
		if ok && corr[g] != 128*sum {
			tb.Fatalf("corr %d = %d, want 128·%d", g, corr[g], sum)
		}
	}
	return ok
}

// TestQuantizeMatchesReference: the assembly's quantization of x is the
// reference's bit for bit, with the right corrections, and hands back
// exactly the groups it must (kerneltest.TestFastQuantizer).
func TestQuantizeMatchesReference(t *testing.T) {
	skipWithout(t)
	kerneltest.TestFastQuantizer(t, withCorrections, []int{16, 32, 64, 128}, rand.New(rand.NewPCG(11, 12)))
}

// FuzzQuantize: differential fuzzing of the assembly quantizer against
// the reference's, on any float32 bit patterns.
func FuzzQuantize(f *testing.F) {
	kerneltest.FuzzFastQuantizer(f, "avx512", Usable(), withCorrections, func(b []byte, n int) []float32 { return floats(b, n, 0) })
}
