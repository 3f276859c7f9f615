// Package runq is llama2.c's runq.c quantize and matmul transcribed line
// by line: the independent oracle the Q8_0 providers' tests compare
// against. It depends on nothing in this module, so the scalar
// reference's own tests can use it too.
package runq

import "math"

// Quantize is runq.c's quantize, transcribed line by line, with q = 0
// for the NaN of an all-zero group.
func Quantize(x []float32, gs int) ([]int8, []float32) {
	q, s := make([]int8, len(x)), make([]float32, len(x)/gs)
	for group := 0; group < len(x)/gs; group++ {
		var wmax float32
		for i := 0; i < gs; i++ {
			if val := float32(math.Abs(float64(x[group*gs+i]))); val > wmax {
				wmax = val
			}
		}
		scale := wmax / 127
		s[group] = scale
		for i := 0; i < gs; i++ {
			if scale != 0 {
				quantValue := x[group*gs+i] / scale
				q[group*gs+i] = int8(math.Round(float64(quantValue)))
			}
		}
	}
	return q, s
}

// MatMul is runq.c's matmul, transcribed line by line.
func MatMul(xout []float32, xq []int8, xs []float32, wq []int8, ws []float32, n, d, gs int) {
	for i := 0; i < d; i++ {
		in := i * n
		var val float32
		for j := 0; j <= n-gs; j += gs {
			var ival int32
			for k := 0; k < gs; k++ {
				ival += int32(xq[j+k]) * int32(wq[in+j+k])
			}
			val += float32(float32(float32(ival)*ws[(in+j)/gs]) * xs[j/gs])
		}
		xout[i] = val
	}
}
