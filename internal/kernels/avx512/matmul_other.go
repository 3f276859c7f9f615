//go:build !amd64

package avx512

// Off amd64 the provider declines every op; these pure-Go forms (the
// reference's arithmetic) only keep the package building.
const (
	hasAVX512 = false
	hasVNNI   = false
)

func matmul16(out, w, x []float32, n int) {
	for r := range 16 {
		out[r] = dotRef(w[r*n:(r+1)*n], x)
	}
}

func q8matmul16(out []float32, b q8Block) { q8Ref(out[:16], b) }

func quantizeFast(xq []int8, xs []float32, corr []int32, x []float32, gs int) bool { return false }
