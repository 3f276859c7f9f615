package x87

import (
	"math"
	"runtime"
	"testing"

	"github.com/retrollama/retrollama/internal/kernels/kerneltest"
	"github.com/retrollama/retrollama/kernels/mathf"
)

// expSpecials are expf's special and boundary arguments: zeros,
// infinities, NaNs, subnormals, the largest finite result and the
// first overflow, the underflow threshold, and the |x| >= 88 branch.
func expSpecials() []float32 {
	f := math.Float32frombits
	v := []float32{
		0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		f(0x7fc00000), f(0xffc00000), f(0x7f800001), f(0x7fa00000), f(0xff812345),
		f(1), f(0x80000001), f(0x007fffff), f(0x00800000), f(0x80800000),
		1, -1, 0.5, -0.5, 88, -88, 89, -104, 100, -100, math.MaxFloat32, -math.MaxFloat32,
	}
	for _, b := range []uint32{0x42b17217, 0xc2cff1b4, 0x42b00000, 0xc2b00000, 0xc2aeac4f, 0xc2aeac50} {
		for d := uint32(0); d < 5; d++ {
			v = append(v, f(b-d), f(b+d))
		}
	}
	return v
}

// TestExp compares expf with mathf.Exp (glibc's expf, bit for bit) on
// the special arguments and on n arguments spread over [-104, 89], the
// whole range where the result is neither 0 nor +Inf: every 1/n-th
// float32 bit pattern in it, so that every exponent and the dense region
// near 0 are sampled alike.
func TestExp(t *testing.T) {
	const n = 1 << 20 // about 7 s on the emulated Pentium II
	var bad int
	check := func(x float32) {
		got, want := expf(x), mathf.Exp(x)
		if !kerneltest.Same(got, want) {
			if bad++; bad <= 10 {
				t.Errorf("expf(%g = %#08x) = %g (%#08x), want %g (%#08x)", x, math.Float32bits(x),
					got, math.Float32bits(got), want, math.Float32bits(want))
			}
		}
	}
	for _, x := range expSpecials() {
		check(x)
	}
	// The float32 bit patterns of [-104, 89]: [0, bits(89)] and
	// [bits(-0), bits(-104)], as one range of indices.
	pos, neg := uint64(math.Float32bits(89)), uint64(math.Float32bits(104))
	total := pos + 1 + neg + 1
	for i := range uint64(n) {
		k := i * total / uint64(n)
		if k <= pos {
			check(math.Float32frombits(uint32(k)))
		} else {
			check(math.Float32frombits(uint32(k-pos-1) | 1<<31))
		}
	}
	t.Logf("expf on %s/%s: %d mismatches with mathf.Exp in %d arguments (x87 code: %v)", runtime.GOOS, runtime.GOARCH, bad, n+len(expSpecials()), asm)
}
