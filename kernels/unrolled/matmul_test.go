package unrolled

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/retrollama/retrollama/kernels/internal/kerneltest"
)

// matmulShapes are rows × cols covering every tail length of both widths,
// the stories15M shapes and sizes on both sides of parallelMACs.
func matmulShapes() [][2]int {
	var shapes [][2]int
	for _, cols := range []int{1, 3, 7, 9, 17, 64, 288, 768} {
		for rows := 1; rows <= 5; rows++ {
			shapes = append(shapes, [2]int{rows, cols})
		}
	}
	return append(shapes, [2]int{288, 288}, [2]int{768, 288}, [2]int{288, 768},
		[2]int{parallelMACs/289 + 13, 289}, // split over the pool, uneven chunks
		[2]int{3, parallelMACs/3 + 5})      // split, one row per thread
}

func TestTestShapesReachThePool(t *testing.T) {
	split := 0
	for _, sh := range matmulShapes() {
		if sh[0]*sh[1] >= parallelMACs {
			split++
		}
	}
	if split < 2 {
		t.Fatalf("only %d test shapes reach parallelMACs = %d", split, parallelMACs)
	}
}

func TestMatMulMatchesScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, width := range []int{4, 8} {
		for _, threads := range []int{1, 3} {
			ref, got := pair(t, testShape, width, threads)
			for _, sh := range matmulShapes() {
				rows, cols := sh[0], sh[1]
				data, x := kerneltest.Random(r, rows*cols), kerneltest.Random(r, cols)
				want, out := make([]float32, rows), make([]float32, rows)
				must(t, ref.MatMul(want, prepare(t, ref, rows, cols, data), x))
				must(t, got.MatMul(out, prepare(t, got, rows, cols, data), x))
				assertClose(t, fmt.Sprintf("unroll%d threads %d %d×%d", width, threads, rows, cols), out, want)
			}
		}
	}
}

func TestMatMulSameBitsForAnyThreadCount(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, width := range []int{4, 8} {
		_, one := pair(t, testShape, width, 1)
		_, two := pair(t, testShape, width, 2)
		_, three := pair(t, testShape, width, 3)
		for _, sh := range matmulShapes() {
			rows, cols := sh[0], sh[1]
			data, x := kerneltest.Random(r, rows*cols), kerneltest.Random(r, cols)
			want := make([]float32, rows)
			must(t, one.MatMul(want, prepare(t, one, rows, cols, data), x))
			for _, p := range []*Provider{two.(*Provider), three.(*Provider)} {
				out := make([]float32, rows)
				must(t, p.MatMul(out, prepare(t, p, rows, cols, data), x))
				assertIdentical(t, fmt.Sprintf("unroll%d threads %d %d×%d", width, p.pool.Size(), rows, cols), out, want)
			}
		}
	}
}

func TestDotTails(t *testing.T) {
	// Integers small enough that every order of summation is exact, so
	// each length must give exactly the plain sum: checks no element is
	// dropped or counted twice around the unrolled groups.
	for _, dot := range []struct {
		name string
		f    func(a, b []float32) float32
	}{{"dot4", dot4}, {"dot8", dot8}} {
		for n := 0; n <= 40; n++ {
			a, b := make([]float32, n), make([]float32, n+3) // b may be longer
			var want float32
			for i := range a {
				a[i], b[i] = float32(i+1), float32(n-i)
				want += a[i] * b[i]
			}
			if got := dot.f(a, b); got != want {
				t.Errorf("%s n=%d: %v, want %v", dot.name, n, got, want)
			}
		}
	}
}
