package unrolled

import "github.com/retrollama/retrollama/kernels"

// parallelMACs is the smallest matmul (rows × cols multiply-adds) split
// across the pool; smaller ones run on the caller's goroutine. Handing out
// chunks costs ~0.5 µs (workpool's BenchmarkRunTask), but a woken worker
// is first queued in the caller's P's runnext slot, which an idle P only
// steals after a ≥ 3 µs back-off, so a split pays only when each chunk is
// tens of microseconds. On the 2-vCPU test VM 288×288 (83K, ~13 µs at
// unroll8's ~6.5 GFLOP/s) was slower on two threads than one and 288×768
// (221K) about even, while the classifier (32000×288) ran 1.85× faster.
// So 256K: stories15M splits only its classifier (60% of its MACs), and
// every matmul of stories110M (≥ 768×768 = 590K) splits. Re-tune with
// BenchmarkParallelThreshold when the pool learns to spin.
const parallelMACs = 256 << 10

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
