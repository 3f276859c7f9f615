package unrolled

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/retrollama/retrollama/internal/kernels/kerneltest"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// matmulCols are the column counts tested with every row count 1..37:
// lengths below, at and just past 8 and 16, and stories15M's widths.
var matmulCols = []int{1, 2, 3, 7, 8, 9, 15, 16, 17, 64, 288, 289}

// matmulShapes are rows × cols: every row count 1..37 (every remainder of
// passes of 8 and 4, several passes) with every width of matmulCols, the
// stories15M shapes, and sizes on both sides of parallelMACs.
func matmulShapes() [][2]int {
	var shapes [][2]int
	for _, cols := range matmulCols {
		for rows := 1; rows <= 37; rows++ {
			shapes = append(shapes, [2]int{rows, cols})
		}
	}
	return append(shapes, [2]int{288, 288}, [2]int{768, 288}, [2]int{288, 768},
		[2]int{parallelMACs/289 + 13, 289}, // split over the pool, uneven blocks
		[2]int{3, parallelMACs/3 + 5})      // split, fewer passes than threads
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

// TestMatMulIdenticalToScalar: unroll4 and unroll8 on 1 to 4 threads give
// the scalar reference's bits on every shape, through MatMul and through
// the pool's split forced on every size, without writing outside out or
// reading past x or W, including rows of signed zeros.
func TestMatMulIdenticalToScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	type call struct {
		rows, cols int
		w, x, want []float32
	}
	var calls []call
	ref := kerneltest.Initialised(t, scalar.New(), testShape)
	for _, sh := range matmulShapes() {
		rows, cols := sh[0], sh[1]
		c := call{rows: rows, cols: cols, want: make([]float32, rows)}
		c.w = kerneltest.NewGuarded(rows*cols, kerneltest.Random(r, rows*cols)).S()
		c.x = kerneltest.NewGuarded(cols, kerneltest.Random(r, cols)).S()
		kerneltest.Must(t, ref.MatMul(c.want, kerneltest.PrepareF32(t, ref, rows, cols, c.w), c.x))
		calls = append(calls, c)
	}
	// Rows whose every product is -0 (positive weights, x all -0): the
	// sum is +0 only if the accumulator starts at +0, as run.c's does.
	for _, cols := range matmulCols {
		rows := 37
		c := call{rows: rows, cols: cols, want: make([]float32, rows)}
		w := kerneltest.Random(r, rows*cols)
		for i := range w {
			w[i] = float32(math.Abs(float64(w[i])))
		}
		c.w, c.x = kerneltest.NewGuarded(rows*cols, w).S(), kerneltest.NewGuarded(cols, negZeros(cols)).S()
		kerneltest.Must(t, ref.MatMul(c.want, kerneltest.PrepareF32(t, ref, rows, cols, c.w), c.x))
		calls = append(calls, c)
	}
	for _, width := range []int{4, 8} {
		for threads := 1; threads <= 4; threads++ {
			p := kerneltest.Initialised(t, New(width, threads), testShape).(*Provider)
			for _, c := range calls {
				what := fmt.Sprintf("unroll%d threads %d %d×%d", width, threads, c.rows, c.cols)
				w := kerneltest.PrepareF32(t, p, c.rows, c.cols, c.w)
				out := kerneltest.NewGuarded(c.rows, nil)
				kerneltest.Must(t, p.MatMul(out.S(), w, c.x))
				out.Check(t, what)
				kerneltest.AssertIdentical(t, what, out.S(), c.want)

				split := kerneltest.NewGuarded(c.rows, nil)
				p.matMulSplit(split.S(), w.(*matrix), c.x)
				split.Check(t, what+" split")
				kerneltest.AssertIdentical(t, what+" split", split.S(), c.want)
			}
		}
	}
}

// negZeros returns n values of -0.
func negZeros(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(math.Copysign(0, -1))
	}
	return v
}
