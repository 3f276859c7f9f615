package unrolled

import "github.com/retrollama/retrollama/kernels"

// parallelMACs is the smallest matmul (rows × cols multiply-adds) split
// across the pool; smaller ones run on the caller's goroutine. With
// channel hand-offs (before issue #9) a woken worker started ≥ 3 µs late
// and only the classifier paid (threshold 256K). Workers now spin between
// the calls of a token (workpool.SpinFor), so a hand-off costs ~1 µs (two
// cross-core cache-line trips on the 2-vCPU VM): 32K splits every
// stories15M matmul, and 2 threads run the fast profile on stories15M
// fp32 at 1.7× one thread, against 1.3× at 256K (BenchmarkProfiles,
// fast-2t).
const parallelMACs = 32 << 10

// matmulTask is a matmul being split by rows; it lives in the Provider so
// that handing it to the pool allocates nothing. Its slices are cleared
// after each call: activations belong to the engine.
type matmulTask struct {
	dot       func(a, b []float32) float32
	out, x, w []float32
	cols      int
}

// Do implements workpool.Task: rows [lo, hi) of out = W·x. Every row is
// one dot product whatever the split, so results do not depend on the
// thread count.
func (t *matmulTask) Do(lo, hi int) {
	matmulRows(t.dot, t.out, t.w, t.x, t.cols, lo, hi)
}

// matmulRows computes out[i] = W[i]·x for rows lo ≤ i < hi.
func matmulRows(dot func(a, b []float32) float32, out, w, x []float32, n, lo, hi int) {
	x = x[:n:n]
	out = out[lo:hi]
	for i := range out {
		r := (lo + i) * n
		out[i] = dot(w[r:r+n:r+n], x)
	}
}

// MatMul implements kernels.MatMul: out = W·x for F32 and Q8_0 weights,
// rows split over the pool when the matrix has at least parallelMACs
// elements.
func (p *Provider) MatMul(out []float32, w kernels.Weight, x []float32) error {
	m, ok := w.(*matrix)
	if !ok {
		if q, ok := w.(*q8Matrix); ok {
			p.matMulQ8(out, q, x)
			return nil
		}
		return kernels.ErrForeignWeight
	}
	if m.rows*m.cols < parallelMACs || p.pool.Size() == 1 {
		matmulRows(p.dot, out, m.data, x, m.cols, 0, m.rows)
		return nil
	}
	p.mm = matmulTask{dot: p.dot, out: out[:m.rows], x: x[:m.cols], w: m.data, cols: m.cols}
	p.pool.RunTask(m.rows, &p.mm)
	p.mm = matmulTask{}
	return nil
}
