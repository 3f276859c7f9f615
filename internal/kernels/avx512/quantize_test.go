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
	if Usable() != nil {
		f.Skip("avx512: ", Usable())
	}
	f.Add(make([]byte, 128))
	f.Add([]byte("\x00\x00\xfe\x42\x00\x00\x00\x3f\x00\x00\xc0\x3f\x00\x00\x00\xbf and more bytes to fill a group...."))
	f.Fuzz(func(t *testing.T, b []byte) {
		x := floats(b, (len(b)/4+31)/32*32, 0)
		if len(x) > 0 {
			kerneltest.CheckFastQuantizer(t, withCorrections, x, 32)
		}
	})
}
