// Package avx2 is the kernel provider for modern x86-64: the fp32 matmul
// in AVX2 assembly with fused multiply-adds (dot_amd64.s), four weight
// rows per pass so that x is loaded once for all four, two independent
// 8-lane accumulators per row to cover the FMA latency, rows split over a
// persistent worker pool. It runs only where the CPU has AVX2 and FMA
// (checked at run time with golang.org/x/sys/cpu) and declines every op
// elsewhere, and every op but the fp32 matmul for now, which the
// profile's next provider then runs.
//
// Results differ from the scalar reference in the last bits: the sums are
// in another order (16 lanes, then a fixed reduction) and each
// multiply-add is rounded once, not twice. They do not depend on the
// thread count.
//
// Status (issue #9): the fp32 matmul only. Q8_0 (VPMADDUBSW/VPMADDWD),
// attention and rmsnorm, registration in kernels/builtin and a profile
// are not done yet.
package avx2

import (
	"fmt"

	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/workpool"
)

// Score is what Supports reports: above unroll8 (20) and swar (30).
const Score = 40

// parallelMACs is the smallest matmul split across the pool, as in
// kernels/unrolled (to be re-tuned for this faster kernel).
const parallelMACs = 256 << 10

// Usable reports nil when this CPU runs the provider, else why not.
func Usable() error {
	if !hasAVX2FMA {
		return fmt.Errorf("needs AVX2 and FMA (amd64); this CPU or GOARCH lacks them")
	}
	return nil
}

// Provider is the avx2 provider. The zero value is not ready: use New,
// then Init.
type Provider struct {
	threads int
	pool    *workpool.Pool
	task    task
}

// New returns an avx2 provider splitting large matmuls over threads
// goroutines (<= 0: runtime.GOMAXPROCS(0), as workpool.New).
func New(threads int) *Provider { return &Provider{threads: threads} }

// Name implements kernels.Provider.
func (p *Provider) Name() string { return "avx2" }

// Supports implements kernels.Provider: the fp32 MatMul, on a CPU with
// AVX2 and FMA.
func (p *Provider) Supports(q kernels.Query) kernels.Support {
	if err := Usable(); err != nil {
		return kernels.Support{Reason: err.Error()}
	}
	if q.Op != kernels.MatMul || q.DType != kernels.F32 {
		return kernels.Support{Reason: fmt.Sprintf("%s %v not supported: avx2 runs only the f32 matmul so far", q.Op, q.DType)}
	}
	return kernels.Support{OK: true, Score: Score}
}

// Init implements kernels.Provider: it starts the worker pool.
func (p *Provider) Init(kernels.Shape) error {
	if p.pool != nil {
		p.pool.Close()
	}
	p.pool = workpool.New(p.threads)
	return nil
}

// matrix is the provider's Weight: the engine's slice, kept as is.
type matrix struct {
	rows, cols int
	data       []float32
}

// Prepare implements kernels.Provider.
func (p *Provider) Prepare(t kernels.Tensor) (kernels.Weight, error) {
	if t.DType != kernels.F32 {
		return nil, fmt.Errorf("avx2: prepare %s: dtype %v not supported", t.Name, t.DType)
	}
	if t.Rows < 0 || t.Cols < 0 || len(t.F32) != t.Rows*t.Cols {
		return nil, fmt.Errorf("avx2: prepare %s: %d values for %d×%d", t.Name, len(t.F32), t.Rows, t.Cols)
	}
	return &matrix{rows: t.Rows, cols: t.Cols, data: t.F32}, nil
}

// task is a matmul split by rows; it lives in the Provider so that
// handing it to the pool allocates nothing.
type task struct {
	out, x, w []float32
	cols      int
}

// Do implements workpool.Task: rows [lo, hi).
func (t *task) Do(lo, hi int) { matmulRows(t.out, t.w, t.x, t.cols, lo, hi) }

// matmulRows computes out[i] = W[i]·x for lo ≤ i < hi: four rows per
// pass through the assembly while four remain, then one; the n mod 16
// tail columns in Go. Each row's result depends only on its data, not on
// how rows were grouped.
func matmulRows(out, w, x []float32, n, lo, hi int) {
	n16 := n &^ 15
	x = x[:n:n]
	i := lo
	if n16 > 0 {
		for ; i+4 <= hi; i += 4 {
			r := i * n
			out[i], out[i+1], out[i+2], out[i+3] = dot4(w[r:r+n], w[r+n:r+2*n], w[r+2*n:r+3*n], w[r+3*n:r+4*n], x, n16)
		}
		for ; i < hi; i++ {
			out[i] = dot1(w[i*n:(i+1)*n], x, n16)
		}
	} else {
		for ; i < hi; i++ {
			out[i] = 0
		}
	}
	if n16 < n {
		for i := lo; i < hi; i++ {
			row := w[i*n+n16 : (i+1)*n]
			s := out[i]
			for j, v := range row {
				s += v * x[n16+j]
			}
			out[i] = s
		}
	}
}

// MatMul implements kernels.MatMul for fp32 weights.
func (p *Provider) MatMul(out []float32, h kernels.Weight, x []float32) error {
	m, ok := h.(*matrix)
	if !ok {
		return kernels.ErrForeignWeight
	}
	if len(x) < m.cols || len(out) < m.rows {
		return fmt.Errorf("avx2: matmul %d×%d: x has %d values, out %d", m.rows, m.cols, len(x), len(out))
	}
	if m.rows*m.cols < parallelMACs || p.pool.Size() == 1 {
		matmulRows(out, m.data, x, m.cols, 0, m.rows)
		return nil
	}
	p.task = task{out: out[:m.rows], x: x[:m.cols], w: m.data, cols: m.cols}
	p.pool.RunTask(m.rows, &p.task)
	p.task = task{}
	return nil
}

// The other ops are declined in Supports; the engine never calls them.
// They return an error if called directly.

// RMSNorm implements kernels.Provider (declined).
func (p *Provider) RMSNorm(out, x []float32, w kernels.Weight) error {
	return fmt.Errorf("avx2: rmsnorm not supported")
}

// RoPE implements kernels.Provider (declined).
func (p *Provider) RoPE(q, k []float32, pos int) error { return fmt.Errorf("avx2: rope not supported") }

// Attention implements kernels.Provider (declined).
func (p *Provider) Attention(out, q, keys, values []float32, pos int) error {
	return fmt.Errorf("avx2: attention not supported")
}

// SwiGLU implements kernels.Provider (declined).
func (p *Provider) SwiGLU(gate, up []float32) error { return fmt.Errorf("avx2: swiglu not supported") }

// Softmax implements kernels.Provider (declined).
func (p *Provider) Softmax(x []float32) error { return fmt.Errorf("avx2: softmax not supported") }

// Close implements kernels.Provider.
func (p *Provider) Close() error {
	if p.pool != nil {
		p.pool.Close()
		p.pool = nil
	}
	return nil
}
