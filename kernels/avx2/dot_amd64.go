package avx2

import (
	"math"

	"golang.org/x/sys/cpu"
)

// hasAVX2FMA is whether this CPU (and OS, which must save the YMM
// registers: x/sys/cpu checks OSXSAVE) runs the assembly kernels.
var hasAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func dot4AVX2(w0, w1, w2, w3, x *float32, n int) (s0, s1, s2, s3 float32)

//go:noescape
func dot1AVX2(w, x *float32, n int) float32

//go:noescape
func q8dot4AVX2(w0, w1, w2, w3 *int8, ws *float32, xq *int8, xs *float32, groups, gs int, out *[4]float32)

//go:noescape
func quantizeAVX2(xq *int8, xs *float32, x *float32, groups, gs int) (nan bool)

//go:noescape
func dotAVX2(a, b *float32, n int) float32

//go:noescape
func axpyAVX2(y, x *float32, a float32, n int)

//go:noescape
func scaleMulAVX2(out, w, x *float32, s float32, n int)

// dot4 returns the dot products of four rows with x over the first n16
// floats (n16 a multiple of 16, > 0).
func dot4(w0, w1, w2, w3, x []float32, n16 int) (float32, float32, float32, float32) {
	return dot4AVX2(&w0[0], &w1[0], &w2[0], &w3[0], &x[0], n16)
}

// dot1 returns one row's dot product with x over the first n16 floats.
func dot1(w, x []float32, n16 int) float32 { return dot1AVX2(&w[0], &x[0], n16) }

// q8dot4 returns four rows' Q8_0 dot products with the quantized x (see
// q8dot4AVX2): rows w0..w3 and x hold groups·gs values (gs a multiple of
// 32, groups > 0), ws the rows' scales interleaved (4·groups), xs x's.
func q8dot4(w0, w1, w2, w3 []int8, ws []float32, xq []int8, xs []float32, groups, gs int) (out [4]float32) {
	n := groups * gs
	_, _, _, _, _ = w0[n-1], w1[n-1], w2[n-1], w3[n-1], xq[n-1]
	_, _ = ws[4*groups-1], xs[groups-1]
	q8dot4AVX2(&w0[0], &w1[0], &w2[0], &w3[0], &ws[0], &xq[0], &xs[0], groups, gs, &out)
	return out
}

// quantizeFast quantizes x into xq and xs as scalar.Quantize does, gs a
// multiple of 32, and reports true; or false, leaving xq and xs
// undefined, where the assembly may differ from the reference (a NaN in
// x, a group whose scale is zero, subnormal or infinite) and the caller
// must use scalar.Quantize.
func quantizeFast(xq []int8, xs []float32, x []float32, gs int) bool {
	groups := len(x) / gs
	if groups == 0 {
		return true
	}
	_, _ = xq[groups*gs-1], xs[groups-1]
	if quantizeAVX2(&xq[0], &xs[0], &x[0], groups, gs) {
		return false
	}
	for _, s := range xs[:groups] {
		if !(s >= 0x1p-126 && s <= math.MaxFloat32) {
			return false
		}
	}
	return true
}

// dot returns Σ a[i]·b[i] over len(a) (len(b) ≥ len(a)).
func dot(a, b []float32) float32 {
	if len(a) == 0 {
		return 0
	}
	_ = b[len(a)-1]
	return dotAVX2(&a[0], &b[0], len(a))
}

// axpy adds a·x[i] to y[i] over len(y) (len(x) ≥ len(y)).
func axpy(y, x []float32, a float32) {
	if len(y) == 0 {
		return
	}
	_ = x[len(y)-1]
	axpyAVX2(&y[0], &x[0], a, len(y))
}

// scaleMul sets out[i] = w[i]·(s·x[i]) over len(x) (out and w at least
// as long); out may be x.
func scaleMul(out, w, x []float32, s float32) {
	if len(x) == 0 {
		return
	}
	_, _ = out[len(x)-1], w[len(x)-1]
	scaleMulAVX2(&out[0], &w[0], &x[0], s, len(x))
}
