package x87

import (
	"github.com/retrollama/retrollama/internal/kernels/exact"
	"github.com/retrollama/retrollama/kernels/mathf"
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
// angles whose cosines and sines cs interleaves.
func genericRoPE(v, cs []float32) {
	for h := 0; h < len(v); h += len(cs) {
		for i := 0; i < len(cs); i += 2 {
			cos, sin := cs[i], cs[i+1]
			v0, v1 := v[h+i], v[h+i+1]
			v[h+i] = float32(v0*cos) - float32(v1*sin)
			v[h+i+1] = float32(v0*sin) + float32(v1*cos)
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
func genericSoftmax(x []float32) {
	if len(x) == 0 {
		return
	}
	maxVal := x[0]
	for _, v := range x[1:] {
		if v > maxVal {
			maxVal = v
		}
	}
	var sum float32
	for i, v := range x {
		x[i] = mathf.Exp(v - maxVal)
		sum += x[i]
	}
	for i := range x {
		x[i] /= sum
	}
}

// genericSwiGLU is scalar's SwiGLU; len(up) >= len(gate).
func genericSwiGLU(gate, up []float32) {
	for i, v := range gate {
		v *= 1 / (1 + mathf.Exp(-v))
		gate[i] = v * up[i]
	}
}
