//go:build !amd64

package avx2

// hasAVX2FMA is false off amd64: the provider declines every op.
const hasAVX2FMA = false

// dot4 is the pure-Go form of the assembly kernel (same order of sums
// except for fused rounding), kept so the package builds and its tests
// run everywhere.
func dot4(w0, w1, w2, w3, x []float32, n16 int) (float32, float32, float32, float32) {
	return dot1(w0, x, n16), dot1(w1, x, n16), dot1(w2, x, n16), dot1(w3, x, n16)
}

// dot1 sums 16 lanes like the assembly: lane j of the first 8 and of the
// second 8 floats of each 16, then the lanes.
func dot1(w, x []float32, n16 int) float32 {
	var acc [16]float32
	for i := 0; i < n16; i += 16 {
		for j := range acc {
			acc[j] += w[i+j] * x[i+j]
		}
	}
	var lane [8]float32
	for j := range lane {
		lane[j] = acc[j] + acc[j+8]
	}
	// (l0+l4, l1+l5, l2+l6, l3+l7), then horizontal pairs twice.
	a := [4]float32{lane[0] + lane[4], lane[1] + lane[5], lane[2] + lane[6], lane[3] + lane[7]}
	h := [2]float32{a[0] + a[1], a[2] + a[3]}
	return h[0] + h[1]
}
