// Package f32 holds the few float32 loops of the engine's glue that run
// outside the kernel providers: the residual add of the forward pass, a
// Q8_0 embedding row's dequantization, and the sampler's temperature
// scaling, argmax and cumulative-probability search. In the Pentium II build (GOARCH=386 GO386=softfloat) every Go
// float32 operation is a software routine of about a hundred instructions,
// so on 386 these loops are x87 assembly (f32_386.s) running with the
// precision control set to single, which rounds each operation exactly as
// float32 arithmetic does; elsewhere they are plain Go (f32_generic.go).
// Both give bit-identical results, the same operations in the same order,
// with one exception: a result that is a float32 subnormal (|r| < 2^-126)
// may differ in its last bit, since the x87 keeps its wider exponent range
// and rounds such a value twice. Nothing in a model's activations or
// probabilities lives there.
package f32

import "math"

// Add adds y to x element by element: x[i] += y[i] for i < len(x).
// len(y) must be at least len(x).
func Add(x, y []float32) {
	if len(y) < len(x) {
		panic("f32.Add: y shorter than x")
	}
	if len(x) > 0 {
		add(x, y[:len(x)])
	}
}

// ScaleInt8 sets dst[i] = float32(q[i]) · s for i < len(dst): a Q8_0
// group dequantized as runq.c does (one float32 multiply per value). It
// is exact everywhere, subnormals included: a scale whose products could
// be subnormal (|s| < 2^-119), or that is not finite, is done in Go.
// len(q) must be at least len(dst).
func ScaleInt8(dst []float32, q []int8, s float32) {
	if len(q) < len(dst) {
		panic("f32.ScaleInt8: q shorter than dst")
	}
	if len(dst) == 0 {
		return
	}
	// Integer tests of the bits: a float comparison is a software routine
	// on GO386=softfloat.
	if b := math.Float32bits(s) &^ (1 << 31); b != 0 && (b>>23 < 127-119 || b>>23 == 0xff) {
		for i := range dst { // products may be subnormal, or s is Inf/NaN: exact in Go
			dst[i] = float32(q[i]) * s
		}
		return
	}
	scaleInt8(dst, q[:len(dst)], s)
}

// Div divides every element of x by d: x[i] /= d (llama2.c's temperature
// scaling, a division, not a multiplication by 1/d).
func Div(x []float32, d float32) {
	if len(x) > 0 {
		div(x, d)
	}
}

// Argmax returns the index of the first largest element of x, comparing
// with >, so NaNs are never chosen after the first element; 0 for an
// empty x.
func Argmax(x []float32) int {
	if len(x) == 0 {
		return 0
	}
	return argmax(x)
}

// Search returns the first index i at which the running sum
// p[0] + … + p[i], accumulated in float32 from the left, exceeds coin
// (coin < sum), or -1 when it never does (rounding left the total at or
// below coin).
func Search(p []float32, coin float32) int {
	if len(p) == 0 {
		return -1
	}
	return search(p, coin)
}
