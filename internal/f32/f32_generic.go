//go:build !386

package f32

func add(x, y []float32) {
	y = y[:len(x)]
	for i := range x {
		x[i] += y[i]
	}
}

func div(x []float32, d float32) {
	for i := range x {
		x[i] /= d
	}
}

func scaleInt8(dst []float32, q []int8, s float32) {
	q = q[:len(dst)]
	for i, v := range q {
		dst[i] = float32(v) * s
	}
}

func argmax(x []float32) int {
	best, bestV := 0, x[0]
	for i := 1; i < len(x); i++ {
		if x[i] > bestV {
			best, bestV = i, x[i]
		}
	}
	return best
}

func search(p []float32, coin float32) int {
	var cdf float32
	for i, v := range p {
		cdf += v
		if coin < cdf {
			return i
		}
	}
	return -1
}
