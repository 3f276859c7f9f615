//go:build !amd64

package avx2

// hasAVX2FMA is false off amd64: the provider declines every op. The
// pure-Go forms below keep the package building everywhere; they follow
// the assembly's arithmetic except for fused rounding.
const hasAVX2FMA = false

func dot4(w0, w1, w2, w3, x []float32, n16 int) (float32, float32, float32, float32) {
	return dot1(w0, x, n16), dot1(w1, x, n16), dot1(w2, x, n16), dot1(w3, x, n16)
}

func dot1(w, x []float32, n16 int) float32 { return dot(w[:n16], x) }

func q8dot4(w0, w1, w2, w3 []int8, ws []float32, xq []int8, xs []float32, groups, gs int) (out [4]float32) {
	rows := [4][]int8{w0, w1, w2, w3}
	for g := range groups {
		for r, w := range rows {
			var d int32
			for k := g * gs; k < (g+1)*gs; k++ {
				d += int32(w[k]) * int32(xq[k])
			}
			out[r] += float32(float32(d)*ws[4*g+r]) * xs[g]
		}
	}
	return out
}

func dot(a, b []float32) float32 {
	var s float32
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

func axpy(y, x []float32, a float32) {
	for i := range y {
		y[i] += a * x[i]
	}
}

func scaleMul(out, w, x []float32, s float32) {
	for i, v := range x {
		out[i] = w[i] * (s * v)
	}
}

func quantizeFast(xq []int8, xs []float32, x []float32, gs int) bool { return false }
