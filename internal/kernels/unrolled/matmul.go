package unrolled

import "github.com/retrollama/retrollama/kernels"

// parallelMACs is the smallest matmul (rows × cols multiply-adds) split
// across the pool; smaller ones run on the caller's goroutine.
// BenchmarkParallelThreshold re-tunes it. Why 32K: RATIONALE.md, section
// "AVX2 provider and the worker pool".
const parallelMACs = 32 << 10

// matmulTask is a matmul being split over the pool; it lives in the
// Provider so that handing it to the pool allocates nothing. Its slices
// are cleared after each call: activations belong to the engine. The pool
// splits it in units of width rows, so every block but the last runs full
// passes.
type matmulTask struct {
	rows      rowsFunc
	width     int
	out, x, w []float32
}

// Do implements workpool.Task: passes [lo, hi), that is rows
// [lo·width, min(hi·width, len(out))) of out = W·x. Every row is one
// sequential sum whatever the split, so results do not depend on the
// thread count.
func (t *matmulTask) Do(lo, hi int) {
	n := len(t.x)
	r0, r1 := lo*t.width, min(hi*t.width, len(t.out))
	t.rows(t.out[r0:r1], t.w[r0*n:r1*n], n, t.x)
}

// MatMul implements kernels.MatMul: out = W·x for F32 and Q8_0 weights,
// bit-identical to the scalar reference; rows are split over the pool
// when the matrix has at least parallelMACs elements.
func (p *Provider) MatMul(out []float32, w kernels.Weight, x []float32) error {
	m, ok := w.(*matrix)
	if !ok {
		if q, ok := w.(*q8Matrix); ok {
			p.matMulQ8(out, q, x)
			return nil
		}
		return kernels.ErrForeignWeight
	}
	out, x = out[:m.rows], x[:m.cols]
	if m.rows*m.cols < parallelMACs || p.pool.Size() == 1 {
		p.rows(out, m.data, m.cols, x)
		return nil
	}
	p.matMulSplit(out, m, x)
	return nil
}

// matMulSplit computes out = W·x over the pool, in blocks of whole passes
// of width rows, whatever the matrix's size (the tests call it directly
// on matrices below parallelMACs).
func (p *Provider) matMulSplit(out []float32, m *matrix, x []float32) {
	p.mm = matmulTask{rows: p.rows, width: p.width, out: out[:m.rows], x: x[:m.cols], w: m.data}
	p.pool.RunTask((m.rows+p.width-1)/p.width, &p.mm)
	p.mm = matmulTask{}
}
