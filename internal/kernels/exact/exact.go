// Package exact holds the pieces of the reference's arithmetic that
// several built-in providers run as they are, in Go, around their own
// kernels: one copy, in the reference's order, so they stay bit for bit
// the scalar reference's (llama2.c's run.c).
package exact

import "github.com/retrollama/retrollama/kernels/mathf"

// RMSScale returns run.c's rmsnorm scale of x, 1/sqrt(Σx²/n + 1e-5): the
// squares added in sequence from +0 (each product rounded: no fused
// multiply-add), then divided, offset and inverted in float32. It is one
// short chain of additions, as long as the residual stream, so a plain
// loop.
func RMSScale(x []float32) float32 {
	var ss float32
	for _, v := range x {
		ss += float32(v * v) // the conversion forbids a fused multiply-add
	}
	ss /= float32(len(x))
	ss += 1e-5
	return 1 / mathf.Sqrt(ss)
}

// RMSNorm is run.c's rmsnorm: out[j] = w[j]·(RMSScale(x)·x[j]), in that
// order, for the len(x) values of x; out may be x. out and w hold at
// least len(x) values.
func RMSNorm(out, x, w []float32) {
	n := len(x)
	ss := RMSScale(x)
	out, w = out[:n:n], w[:n:n]
	for j, v := range x {
		out[j] = w[j] * (ss * v)
	}
}
