package avx2

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/retrollama/retrollama/internal/kernels/kerneltest"
	"github.com/retrollama/retrollama/internal/kernels/swar"
	"github.com/retrollama/retrollama/internal/kernels/unrolled"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/conformance"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// skipWithout skips tb where the AVX2 kernels cannot run.
func skipWithout(tb testing.TB) { tb.Helper(); kerneltest.SkipUnless(tb, "avx2", Usable()) }

// refMatMul returns the scalar reference's W·x for a rows×cols W.
func refMatMul(t testing.TB, rows, cols int, w, x []float32) []float32 {
	t.Helper()
	ref := scalar.New()
	kerneltest.Must(t, ref.Init(kerneltest.Stories15M()))
	defer ref.Close()
	want := make([]float32, rows)
	kerneltest.Must(t, ref.MatMul(want, kerneltest.Prepare(t, ref, kerneltest.F32(rows, cols, w)), x))
	return want
}

// checkMatMul runs p's W·x with a guard band after out and checks it
// against the reference bit for bit, and that w and x are unchanged.
func checkMatMul(t *testing.T, p kernels.Provider, name string, rows, cols int, w, x []float32) {
	t.Helper()
	want := refMatMul(t, rows, cols, w, x)
	w0, x0 := slices.Clone(w), slices.Clone(x)
	out, check := kerneltest.GuardedOut(t, rows)
	kerneltest.Must(t, p.MatMul(out, kerneltest.Prepare(t, p, kerneltest.F32(rows, cols, w)), x))
	check(name)
	kerneltest.AssertIdentical(t, name, out, want)
	if kerneltest.Mismatch(w, w0) >= 0 || kerneltest.Mismatch(x, x0) >= 0 {
		t.Fatalf("%s: modified w or x", name)
	}
	checkPanels(t, p, name, rows, cols, w, x, want)
}

// checkPanels runs W·x as for a weight the engine can release (a mapped
// file), where the provider copies W into panels: its Release poisons
// the released values of a copy of w with NaN, so a result read from
// them rather than from the panels, or a release of rows not yet
// copied, shows as a NaN where the reference has a number. It checks
// that every value was released once.
func checkPanels(t *testing.T, p kernels.Provider, name string, rows, cols int, w, x, want []float32) {
	t.Helper()
	wp := slices.Clone(w)
	tensor := kerneltest.F32(rows, cols, wp)
	released := 0
	tensor.Release = func(lo, hi int) {
		for i := lo; i < hi; i++ {
			wp[i] = float32(math.NaN())
		}
		released += hi - lo
	}
	out, check := kerneltest.GuardedOut(t, rows)
	kerneltest.Must(t, p.MatMul(out, kerneltest.Prepare(t, p, tensor), x))
	check(name + " (panels)")
	kerneltest.AssertIdentical(t, name+" (panels)", out, want)
	if rows > 1 && cols > 0 && released != rows*cols {
		t.Fatalf("%s (panels): released %d of %d values", name, released, rows*cols)
	}
}

// TestMatMulExact: the fp32 matmul is the reference's bit for bit for
// every row count around the 8- and 16-row groups and column counts
// around the 8-column step, on one thread and split over the pool, with
// a guard band after out.
func TestMatMulExact(t *testing.T) {
	skipWithout(t)
	r := rand.New(rand.NewPCG(3, 4))
	cols := []int{1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 64, 128, 288, 289} // 128: padded panel stride
	for _, threads := range []int{1, 2, 3} {
		p := kerneltest.Initialised(t, New(threads), kerneltest.Stories15M())
		for rows := 1; rows <= 37; rows++ {
			for _, n := range cols {
				w, x := kerneltest.Random(r, rows*n), kerneltest.Random(r, n)
				checkMatMul(t, p, fmt.Sprintf("threads %d %d×%d", threads, rows, n), rows, n, w, x)
			}
		}
		// Split over the pool (above parallelMACs), rows not a multiple
		// of 8 or 16, columns not a multiple of 8.
		for _, sh := range [][2]int{{parallelMACs/289 + 13, 289}, {parallelMACs/288 + 5, 288}, {1003, 64}} {
			w, x := kerneltest.Random(r, sh[0]*sh[1]), kerneltest.Random(r, sh[1])
			checkMatMul(t, p, fmt.Sprintf("threads %d %d×%d", threads, sh[0], sh[1]), sh[0], sh[1], w, x)
		}
	}
}

// TestMatMulSplits: every way the pool may cut a matrix into row ranges
// gives the reference's rows: matmulRows over random partitions, at any
// row boundary (not only the 8-row groups the task hands out), so rows
// computed as the tail of one range or inside a group of another agree.
func TestMatMulSplits(t *testing.T) {
	skipWithout(t)
	r := rand.New(rand.NewPCG(23, 24))
	for _, sh := range [][2]int{{37, 17}, {100, 288}, {61, 8}, {9, 31}, {5, 16}} {
		rows, cols := sh[0], sh[1]
		w, x := kerneltest.Random(r, rows*cols), kerneltest.Random(r, cols)
		want := refMatMul(t, rows, cols, w, x)
		for trial := range 50 {
			out, check := kerneltest.GuardedOut(t, rows)
			for lo := 0; lo < rows; {
				hi := min(rows, lo+1+r.IntN(20))
				matmulRows(out, w, x, rows, cols, cols, lo, hi)
				lo = hi
			}
			name := fmt.Sprintf("%d×%d trial %d", rows, cols, trial)
			check(name)
			kerneltest.AssertIdentical(t, name, out, want)
		}
	}
}

// TestMatMulSpecialValues: signed zeros, infinities, NaNs and subnormals
// go through the sums as in the reference: a row of -0 products sums to
// +0 (the sum starts at +0), inf·0 and inf-inf make NaN, a NaN weight or
// input propagates, subnormal products are kept (no flush to zero), and
// a large product cancelled later shows that the order is the
// reference's (1e30 + 1 - 1e30 is 0 in float32, not 1).
func TestMatMulSpecialValues(t *testing.T) {
	skipWithout(t)
	r := rand.New(rand.NewPCG(25, 26))
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	specials := []float32{0, float32(math.Copysign(0, -1)), 1, -1, inf, -inf, nan, 1e30, -1e30, 1e-40, -1e-45, math.MaxFloat32, 3e38}
	p := kerneltest.Initialised(t, New(1), kerneltest.Stories15M())
	for _, cols := range []int{8, 9, 17, 24, 40} {
		for _, rows := range []int{8, 16, 19, 33} {
			for trial := range 20 {
				w, x := make([]float32, rows*cols), make([]float32, cols)
				for i := range w {
					w[i] = specials[r.IntN(len(specials))]
					if r.IntN(3) == 0 {
						w[i] = 2*r.Float32() - 1
					}
				}
				for i := range x {
					x[i] = specials[r.IntN(len(specials))]
					if r.IntN(2) == 0 {
						x[i] = 2*r.Float32() - 1
					}
				}
				switch trial {
				case 0: // every product -0
					for i := range w {
						w[i] = float32(math.Copysign(0, -1))
					}
					for i := range x {
						x[i] = 1
					}
				case 1: // cancellation that only the reference's order gives
					for i := range w {
						w[i] = []float32{1e30, 1, -1e30}[(i%cols)%3]
					}
					for i := range x {
						x[i] = 1
					}
				case 2: // subnormal products
					for i := range w {
						w[i] = 1e-30
					}
					for i := range x {
						x[i] = 1e-10
					}
				}
				checkMatMul(t, p, fmt.Sprintf("%d×%d trial %d", rows, cols, trial), rows, cols, w, x)
			}
		}
	}
}

// TestThreadsAgree: results do not depend on the thread count.
func TestThreadsAgree(t *testing.T) {
	skipWithout(t)
	r := rand.New(rand.NewPCG(5, 6))
	rows, cols := 1031, 289
	w, x := kerneltest.Random(r, rows*cols), kerneltest.Random(r, cols)
	var outs [][]float32
	for _, threads := range []int{1, 2, 4, 5} {
		p := kerneltest.Initialised(t, New(threads), kerneltest.Stories15M())
		h, err := p.Prepare(kernels.Tensor{Name: "w", DType: kernels.F32, Rows: rows, Cols: cols, F32: w})
		if err != nil {
			t.Fatal(err)
		}
		out := make([]float32, rows)
		if err := p.MatMul(out, h, x); err != nil {
			t.Fatal(err)
		}
		outs = append(outs, out)
	}
	for k := 1; k < len(outs); k++ {
		if !slices.Equal(outs[k], outs[0]) {
			t.Fatalf("thread counts disagree")
		}
	}
}

// FuzzMatMulF32: differential fuzzing of the fp32 matmul against the
// reference on any bit patterns: the first two bytes choose the shape
// (up to 40 rows, 40 columns), the rest are w then x as little-endian
// float32s (zeros once they run out).
func FuzzMatMulF32(f *testing.F) {
	if Usable() != nil {
		f.Skip("avx2: ", Usable())
	}
	f.Add([]byte{8, 8}, uint64(1))
	f.Add([]byte{19, 17, 0, 0, 0x80, 0x7f, 0, 0, 0xc0, 0x7f, 0, 0, 0x80, 0x80}, uint64(2))
	f.Fuzz(func(t *testing.T, b []byte, seed uint64) {
		if len(b) < 2 {
			return
		}
		rows, cols := 1+int(b[0])%40, 1+int(b[1])%40
		b = b[2:]
		r := rand.New(rand.NewPCG(seed, 0))
		vals := make([]float32, rows*cols+cols)
		for i := range vals {
			if 4*i+3 < len(b) {
				vals[i] = math.Float32frombits(uint32(b[4*i]) | uint32(b[4*i+1])<<8 | uint32(b[4*i+2])<<16 | uint32(b[4*i+3])<<24)
			} else {
				vals[i] = 2*r.Float32() - 1
			}
		}
		w, x := vals[:rows*cols], vals[rows*cols:]
		p := New(1)
		kerneltest.Must(t, p.Init(kerneltest.Stories15M()))
		defer p.Close()
		checkMatMul(t, p, fmt.Sprintf("%d×%d", rows, cols), rows, cols, w, x)
	})
}

// TestConformance: the conformance suite (declined ops are skips).
func TestConformance(t *testing.T) {
	skipWithout(t)
	conformance.Test(t, "avx2", func() kernels.Provider { return New(1) })
}

func TestDeclines(t *testing.T) {
	p := New(1)
	for _, q := range []kernels.Query{{Op: kernels.RoPE}, {Op: kernels.SwiGLU}, {Op: kernels.Softmax}, {Op: kernels.RMSNorm, DType: kernels.Q8_0},
		{Op: kernels.MatMul, DType: kernels.Q8_0, GroupSize: 4}, {Op: kernels.MatMul, DType: kernels.Q8_0, GroupSize: 48}} {
		if s := p.Supports(q); s.OK || s.Reason == "" {
			t.Errorf("%+v: %+v", q, s)
		}
	}
	for _, err := range []error{p.RoPE(nil, nil, 0), p.SwiGLU(nil, nil), p.Softmax(nil)} {
		if !errors.Is(err, kernels.ErrDeclined) {
			t.Errorf("declined op returns %v", err)
		}
	}
	for _, q := range []kernels.Query{{Op: kernels.MatMul, DType: kernels.F32}, {Op: kernels.MatMul, DType: kernels.Q8_0, GroupSize: 32}, {Op: kernels.MatMul, DType: kernels.Q8_0, GroupSize: 64}, {Op: kernels.RMSNorm, DType: kernels.F32}, {Op: kernels.Attention, DType: kernels.F32}} {
		if got := p.Supports(q).OK; got != (Usable() == nil) {
			t.Errorf("Supports(%v %v).OK = %v on a CPU where Usable() = %v", q.Op, q.DType, got, Usable())
		}
	}
}

// matmulShapes are stories15M's matmuls (wq/wk/wv/wo, w1/w3, w2, the
// classifier) and stories110M's, rows×cols.
var matmulShapes = append(kerneltest.Stories15MMatMuls(), [][2]int{{768, 768}, {2048, 768}, {768, 2048}, {32000, 768}}...)

// BenchmarkMatMul: avx2 on the engine's row-major layout (weights on the
// Go heap) and on panels (weights the engine can release), against
// unroll8, at the stories15M and stories110M shapes, one thread, in one
// run.
func BenchmarkMatMul(b *testing.B) {
	skipWithout(b)
	r := rand.New(rand.NewPCG(7, 8))
	for _, sh := range matmulShapes {
		w, x := kerneltest.Random(r, sh[0]*sh[1]), kerneltest.Random(r, sh[1])
		t := kernels.Tensor{Name: "w", DType: kernels.F32, Rows: sh[0], Cols: sh[1], F32: w}
		kerneltest.BenchMatMul(b, "avx2", func() kernels.Provider { return New(1) }, kerneltest.Stories15M(), t, x)
		p := t
		p.Release = func(lo, hi int) {} // as for a mapped file: panels
		kerneltest.BenchMatMul(b, "avx2-panels", func() kernels.Provider { return New(1) }, kerneltest.Stories15M(), p, x)
		kerneltest.BenchMatMul(b, "unroll8", func() kernels.Provider { return unrolled.New(8, 1) }, kerneltest.Stories15M(), t, x)
	}
}

// BenchmarkMatMulQ8: avx2 (row-major and on panels) against swar (the fastest pure-Go Q8_0 matmul)
// and the scalar reference's fp32 matmul at the stories15M shapes, group
// size 32, one thread, in one run.
func BenchmarkMatMulQ8(b *testing.B) {
	skipWithout(b)
	r := rand.New(rand.NewPCG(9, 10))
	for _, sh := range kerneltest.Stories15MMatMuls() {
		w, x := kerneltest.Random(r, sh[0]*sh[1]), kerneltest.Random(r, sh[1])
		q8 := kerneltest.Q8Tensor(w, sh[0], sh[1], 32)
		kerneltest.BenchMatMul(b, "avx2-q8", func() kernels.Provider { return New(1) }, kerneltest.Stories15M(), q8, x)
		q8p := q8
		q8p.Release = func(lo, hi int) {} // as for a mapped file: panels
		kerneltest.BenchMatMul(b, "avx2-q8-panels", func() kernels.Provider { return New(1) }, kerneltest.Stories15M(), q8p, x)
		kerneltest.BenchMatMul(b, "swar-q8", func() kernels.Provider { return swar.New(1) }, kerneltest.Stories15M(), q8, x)
		f := kernels.Tensor{Name: "w", DType: kernels.F32, Rows: sh[0], Cols: sh[1], F32: w}
		kerneltest.BenchMatMul(b, "scalar-f32", func() kernels.Provider { return scalar.New() }, kerneltest.Stories15M(), f, x)
	}
}

// BenchmarkMatMulThreads: the stories15M matmuls on one and two threads,
// fp32 and Q8_0 (group size 32), on panels (as from a mapped file), in one
// run: what a split gains at each size once the hand-off is paid.
func BenchmarkMatMulThreads(b *testing.B) {
	skipWithout(b)
	r := rand.New(rand.NewPCG(21, 22))
	for _, sh := range kerneltest.Stories15MMatMuls() {
		w, x := kerneltest.Random(r, sh[0]*sh[1]), kerneltest.Random(r, sh[1])
		f := kernels.Tensor{Name: "w", DType: kernels.F32, Rows: sh[0], Cols: sh[1], F32: w}
		q := kerneltest.Q8Tensor(w, sh[0], sh[1], 32)
		f.Release = func(lo, hi int) {} // on panels, as from a mapped file
		q.Release = f.Release
		for _, threads := range []int{1, 2} {
			kerneltest.BenchMatMul(b, fmt.Sprintf("f32-%dt", threads), func() kernels.Provider { return New(threads) }, kerneltest.Stories15M(), f, x)
			kerneltest.BenchMatMul(b, fmt.Sprintf("q8-%dt", threads), func() kernels.Provider { return New(threads) }, kerneltest.Stories15M(), q, x)
		}
	}
}

// TestPanelSplits: every way the pool may cut a matrix on panels into
// ranges of 32-row units gives the reference's rows: panelUnits over
// random partitions (ranges starting at odd units, single units, the
// partial last unit), so the 8-panel and 4-panel passes agree.
func TestPanelSplits(t *testing.T) {
	skipWithout(t)
	r := rand.New(rand.NewPCG(27, 28))
	for _, sh := range [][2]int{{288, 17}, {100, 288}, {31, 8}, {257, 33}, {64, 1}, {200, 256}} {
		rows, cols := sh[0], sh[1]
		w, x := kerneltest.Random(r, rows*cols), kerneltest.Random(r, cols)
		want := refMatMul(t, rows, cols, w, x)
		m := &matrix{rows: rows, cols: cols, data: w, panels: panelize(w, rows, cols, func(lo, hi int) {})}
		units := (rows + panelUnit - 1) / panelUnit
		for trial := range 30 {
			out, check := kerneltest.GuardedOut(t, rows)
			for lo := 0; lo < units; {
				hi := min(units, lo+1+r.IntN(4))
				panelUnits(out, m, x, lo, hi)
				lo = hi
			}
			name := fmt.Sprintf("%d×%d trial %d", rows, cols, trial)
			check(name)
			kerneltest.AssertIdentical(t, name, out, want)
		}
	}
}
