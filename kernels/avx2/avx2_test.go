package avx2

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/conformance"
	"github.com/retrollama/retrollama/kernels/internal/kerneltest"
	"github.com/retrollama/retrollama/kernels/scalar"
	"github.com/retrollama/retrollama/kernels/swar"
	"github.com/retrollama/retrollama/kernels/unrolled"
)

func skipWithout(tb testing.TB) {
	tb.Helper()
	if err := Usable(); err != nil {
		tb.Skip("avx2: ", err)
	}
}

// TestMatMulSweep: every row count around the 4-row grouping and every
// column count around the 16-float step, with guard bands after out and
// inputs that must stay unchanged, against a float64 sum.
func TestMatMulSweep(t *testing.T) {
	skipWithout(t)
	r := rand.New(rand.NewPCG(3, 4))
	for _, threads := range []int{1, 3} {
		p := New(threads)
		if err := p.Init(kerneltest.Stories15M()); err != nil {
			t.Fatal(err)
		}
		shapes := [][2]int{{parallelMACs/289 + 13, 289}}
		for rows := 1; rows <= 9; rows++ {
			for _, cols := range []int{1, 7, 15, 16, 17, 31, 32, 33, 48, 288} {
				shapes = append(shapes, [2]int{rows, cols})
			}
		}
		for _, sh := range shapes {
			rows, cols := sh[0], sh[1]
			w, x := kerneltest.Random(r, rows*cols), kerneltest.Random(r, cols)
			w0, x0 := append([]float32(nil), w...), append([]float32(nil), x...)
			h, err := p.Prepare(kernels.Tensor{Name: "w", DType: kernels.F32, Rows: rows, Cols: cols, F32: w})
			if err != nil {
				t.Fatal(err)
			}
			const guard = 8
			out := make([]float32, rows+guard)
			for i := range out {
				out[i] = float32(math.NaN())
			}
			if err := p.MatMul(out[:rows], h, x); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < rows; i++ {
				var want, mag float64
				for j := 0; j < cols; j++ {
					want += float64(w[i*cols+j]) * float64(x[j])
					mag += math.Abs(float64(w[i*cols+j]) * float64(x[j]))
				}
				if d := math.Abs(float64(out[i]) - want); !(d <= 1e-6*mag+1e-30) {
					t.Fatalf("threads %d, %d×%d: out[%d] = %v, want %v (|Δ| %g, Σ|wx| %g)", threads, rows, cols, i, out[i], want, d, mag)
				}
			}
			for i := rows; i < len(out); i++ {
				if !math.IsNaN(float64(out[i])) {
					t.Fatalf("%d×%d: wrote guard out[%d]", rows, cols, i)
				}
			}
			for i := range w {
				if w[i] != w0[i] {
					t.Fatalf("%d×%d: modified w", rows, cols)
				}
			}
			for i := range x {
				if x[i] != x0[i] {
					t.Fatalf("%d×%d: modified x", rows, cols)
				}
			}
		}
		p.Close()
	}
}

// TestThreadsAgree: results do not depend on the thread count.
func TestThreadsAgree(t *testing.T) {
	skipWithout(t)
	r := rand.New(rand.NewPCG(5, 6))
	rows, cols := 1031, 289
	w, x := kerneltest.Random(r, rows*cols), kerneltest.Random(r, cols)
	var outs [][]float32
	for _, threads := range []int{1, 2, 5} {
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
		for i := range outs[0] {
			if outs[k][i] != outs[0][i] {
				t.Fatalf("row %d differs between thread counts", i)
			}
		}
	}
}

// TestConformance: the conformance suite (declined ops are skips).
func TestConformance(t *testing.T) {
	skipWithout(t)
	conformance.Test(t, "avx2", func() kernels.Provider { return New(1) })
}

func TestDeclines(t *testing.T) {
	p := New(1)
	for _, q := range []kernels.Query{{Op: kernels.RoPE}, {Op: kernels.SwiGLU}, {Op: kernels.Softmax}, {Op: kernels.RMSNorm, DType: kernels.Q8_0}} {
		if p.Supports(q).OK {
			t.Errorf("accepts %+v", q)
		}
	}
	for _, q := range []kernels.Query{{Op: kernels.MatMul, DType: kernels.F32}, {Op: kernels.MatMul, DType: kernels.Q8_0}, {Op: kernels.RMSNorm, DType: kernels.F32}, {Op: kernels.Attention, DType: kernels.F32}} {
		if got := p.Supports(q).OK; got != (Usable() == nil) {
			t.Errorf("Supports(%v %v).OK = %v on a CPU where Usable() = %v", q.Op, q.DType, got, Usable())
		}
	}
}

// BenchmarkMatMul: avx2 against unroll8 at the stories15M shapes, one
// thread, in one run.
func BenchmarkMatMul(b *testing.B) {
	skipWithout(b)
	r := rand.New(rand.NewPCG(7, 8))
	for _, sh := range kerneltest.Stories15MMatMuls() {
		w, x := kerneltest.Random(r, sh[0]*sh[1]), kerneltest.Random(r, sh[1])
		t := kernels.Tensor{Name: "w", DType: kernels.F32, Rows: sh[0], Cols: sh[1], F32: w}
		kerneltest.BenchMatMul(b, "avx2", func() kernels.Provider { return New(1) }, kerneltest.Stories15M(), t, x)
		kerneltest.BenchMatMul(b, "unroll8", func() kernels.Provider { return unrolled.New(8, 1) }, kerneltest.Stories15M(), t, x)
	}
}

// BenchmarkMatMulQ8: avx2 against swar (the fastest pure-Go Q8_0 matmul)
// and the scalar reference's fp32 matmul at the stories15M shapes, group
// size 32, one thread, in one run.
func BenchmarkMatMulQ8(b *testing.B) {
	skipWithout(b)
	r := rand.New(rand.NewPCG(9, 10))
	for _, sh := range kerneltest.Stories15MMatMuls() {
		w, x := kerneltest.Random(r, sh[0]*sh[1]), kerneltest.Random(r, sh[1])
		q8 := kerneltest.Q8Tensor(w, sh[0], sh[1], 32)
		kerneltest.BenchMatMul(b, "avx2-q8", func() kernels.Provider { return New(1) }, kerneltest.Stories15M(), q8, x)
		kerneltest.BenchMatMul(b, "swar-q8", func() kernels.Provider { return swar.New(1) }, kerneltest.Stories15M(), q8, x)
		f := kernels.Tensor{Name: "w", DType: kernels.F32, Rows: sh[0], Cols: sh[1], F32: w}
		kerneltest.BenchMatMul(b, "scalar-f32", func() kernels.Provider { return scalar.New() }, kerneltest.Stories15M(), f, x)
	}
}

// BenchmarkMatMulThreads: the stories15M matmuls on one and two threads,
// fp32 and Q8_0 (group size 32), in one run: what a split gains at each
// size once the hand-off is paid.
func BenchmarkMatMulThreads(b *testing.B) {
	skipWithout(b)
	r := rand.New(rand.NewPCG(21, 22))
	for _, sh := range kerneltest.Stories15MMatMuls() {
		w, x := kerneltest.Random(r, sh[0]*sh[1]), kerneltest.Random(r, sh[1])
		f := kernels.Tensor{Name: "w", DType: kernels.F32, Rows: sh[0], Cols: sh[1], F32: w}
		q := kerneltest.Q8Tensor(w, sh[0], sh[1], 32)
		for _, threads := range []int{1, 2} {
			kerneltest.BenchMatMul(b, fmt.Sprintf("f32-%dt", threads), func() kernels.Provider { return New(threads) }, kerneltest.Stories15M(), f, x)
			kerneltest.BenchMatMul(b, fmt.Sprintf("q8-%dt", threads), func() kernels.Provider { return New(threads) }, kerneltest.Stories15M(), q, x)
		}
	}
}
