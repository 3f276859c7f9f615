package x87

import (
	"github.com/retrollama/retrollama/internal/kernels/exact"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// The generic* functions are the kernels in Go, with exactly the
// semantics of the assembly in kernels_386.s: the build for every other
// GOARCH runs them, and the 386 tests check the assembly against them.
// Each computes what the scalar reference computes, in its order.

// genericMatMul sets out[i] = Σ_j w[i·stride+j]·x[j] for i < len(out),
// summing in j order with every product rounded to float32.
func genericMatMul(out, w, x []float32, stride int) {
	for i := range out {
		row := w[i*stride : i*stride+len(x)]
		var sum float32
		for j, v := range row {
			sum += float32(v * x[j])
		}
		out[i] = sum
	}
}

// genericMatMulT sets out[i] = Σ_t a[t]·v[t·stride+i] for i < len(out),
// summing in t order: attention's weighted sum of value rows.
func genericMatMulT(out, a, v []float32, stride int) {
	for i := range out {
		var sum float32
		for t, at := range a {
			sum += float32(at * v[t*stride+i])
		}
		out[i] = sum
	}
}

// genericRMSNorm is scalar's RMSNorm; out may be x.
func genericRMSNorm(out, x, w []float32) { exact.RMSNorm(out, x, w) }

// genericRoPE rotates the pairs of every len(cs)-value head of v by the
// angles whose cosines and sines cs interleaves, with scalar's rounding.
func genericRoPE(v, cs []float32) {
	for h := 0; h < len(v); h += len(cs) {
		for i := 0; i < len(cs); i += 2 {
			scalar.RotatePair(v, h+i, cs[i], cs[i+1])
		}
	}
}

// genericDivide sets x[i] /= d.
func genericDivide(x []float32, d float32) {
	for i := range x {
		x[i] /= d
	}
}

// genericSoftmax is scalar's softmax.
func genericSoftmax(x []float32) { scalar.SoftmaxInPlace(x) }

// genericSwiGLU is scalar's SwiGLU; len(up) >= len(gate).
func genericSwiGLU(gate, up []float32) { scalar.SwiGLUInPlace(gate, up) }
