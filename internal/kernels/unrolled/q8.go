package unrolled

import (
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// The Q8_0 matmul is runq.c's (see kernels.MatMul): x is quantized with
// the scalar reference's own scalar.Quantize (linear in the width, not
// worth tuning), then each row is a sequence of per-group integer dot
// products, each scaled and added to the row's float32 sum in group
// order. Integer sums are exact in any order, so unrolling them, and
// running four rows per pass over x, changes no bit: the result is the
// scalar reference's exactly, on any thread count.

// q8Matrix is the provider's Weight for a Q8_0 matrix: the engine's
// slices, kept as is.
type q8Matrix struct {
	rows, cols int
	groupSize  int
	q          []int8    // rows·cols values, row-major
	scales     []float32 // one per groupSize consecutive values of q
}

// q8Task is a Q8_0 matmul being split by rows, with x already quantized
// into xq and xs; like matmulTask it lives in the Provider so that handing
// it to the pool allocates nothing, and it is cleared after each call.
type q8Task struct {
	out []float32
	m   *q8Matrix
	xq  []int8
	xs  []float32
}

// Do implements workpool.Task: rows [lo, hi) of out = W·x.
func (t *q8Task) Do(lo, hi int) { q8Rows(t.out, t.m, t.xq, t.xs, lo, hi) }

// matMulQ8 implements MatMul for a Q8_0 matrix, split over the pool under
// the same rule as the fp32 one.
func (p *Provider) matMulQ8(out []float32, m *q8Matrix, x []float32) {
	n := m.cols
	xq, xs := p.xq[:n], p.xs[:n/m.groupSize]
	scalar.Quantize(xq, xs, x[:n], m.groupSize)
	if m.rows*m.cols < parallelMACs || p.pool.Size() == 1 {
		q8Rows(out, m, xq, xs, 0, m.rows)
		return
	}
	p.q8 = q8Task{out: out[:m.rows], m: m, xq: xq, xs: xs}
	p.pool.RunTask(m.rows, &p.q8)
	p.q8 = q8Task{}
}

// q8Rows computes out[i] for rows lo ≤ i < hi, four rows per pass over
// the quantized x (each x value loaded once feeds four independent
// integer sums), then the remaining rows one by one.
func q8Rows(out []float32, m *q8Matrix, xq []int8, xs []float32, lo, hi int) {
	n, gs := m.cols, m.groupSize
	ng := n / gs
	xq, xs = xq[:n:n], xs[:ng:ng]
	i := lo
	for ; i+4 <= hi; i += 4 {
		w := m.q[i*n : (i+4)*n : (i+4)*n]
		s := m.scales[i*ng : (i+4)*ng : (i+4)*ng]
		s0, s1, s2, s3 := s[:ng:ng], s[ng:2*ng:2*ng], s[2*ng:3*ng:3*ng], s[3*ng:]
		s0, s1, s2, s3 = s0[:len(xs)], s1[:len(xs)], s2[:len(xs)], s3[:len(xs)]
		var v0, v1, v2, v3 float32
		for g, sx := range xs {
			j := g * gs
			d0, d1, d2, d3 := dotQ8x4(xq[j:j+gs:j+gs], w[j:], n)
			// (ival·ws)·xs, each product rounded as in runq.c: the
			// conversions forbid fused multiply-adds.
			v0 += float32(float32(float32(d0)*s0[g]) * sx)
			v1 += float32(float32(float32(d1)*s1[g]) * sx)
			v2 += float32(float32(float32(d2)*s2[g]) * sx)
			v3 += float32(float32(float32(d3)*s3[g]) * sx)
		}
		o := out[i : i+4 : i+4]
		o[0], o[1], o[2], o[3] = v0, v1, v2, v3
	}
	for ; i < hi; i++ {
		w := m.q[i*n : (i+1)*n : (i+1)*n]
		s := m.scales[i*ng : (i+1)*ng : (i+1)*ng]
		s = s[:len(xs)]
		var v float32
		for g, sx := range xs {
			j := g * gs
			d := dotQ8(xq[j:j+gs:j+gs], w[j:j+gs:j+gs])
			v += float32(float32(float32(d)*s[g]) * sx)
		}
		out[i] = v
	}
}

// dotQ8x4 returns the exact dot products of x with four rows of w,
// starting at w[0], w[n], w[2n] and w[3n], in int32: each x value is
// loaded once for the four. It is a function of its own so that its few
// live values stay in registers (inlined in q8Rows, the accumulators went
// through the stack).
func dotQ8x4(x, w []int8, n int) (d0, d1, d2, d3 int32) {
	m := len(x)
	a0, a1, a2, a3 := w[:m:m], w[n:n+m:n+m], w[2*n:2*n+m:2*n+m], w[3*n:3*n+m:3*n+m]
	a1, a2, a3 = a1[:m], a2[:m], a3[:m] // lets the compiler drop the loop's bounds checks
	for k, xv := range x {
		xk := int32(xv)
		d0 += xk * int32(a0[k])
		d1 += xk * int32(a1[k])
		d2 += xk * int32(a2[k])
		d3 += xk * int32(a3[k])
	}
	return d0, d1, d2, d3
}

// dotQ8 returns the exact Σ a[i]·b[i] over len(a) in int32, with four
// accumulators; len(b) must be at least len(a). Groups are at most a few
// hundred values, far from int32's range (127²·133000).
func dotQ8(a, b []int8) int32 {
	n := len(a)
	b = b[:n:n]
	var s0, s1, s2, s3 int32
	i := 0
	for ; i <= n-4; i += 4 {
		x := a[i : i+4 : i+4]
		y := b[i : i+4 : i+4]
		s0 += int32(x[0]) * int32(y[0])
		s1 += int32(x[1]) * int32(y[1])
		s2 += int32(x[2]) * int32(y[2])
		s3 += int32(x[3]) * int32(y[3])
	}
	at, bt := a[i:], b[i:]
	bt = bt[:len(at)]
	for j, v := range at {
		s0 += int32(v) * int32(bt[j])
	}
	return (s0 + s1) + (s2 + s3)
}

// checkQ8 is the reference's validation of a Q8_0 tensor's sizes.
func checkQ8(t kernels.Tensor) error { return scalar.CheckQ8(t) }
