// Package avx2 is the kernel provider for modern x86-64, in AVX2 assembly
// (dot_amd64.s):
//
//   - fp32 matmul: fused multiply-adds, four weight rows per pass so x is
//     loaded once for all four, two independent 8-lane accumulators per
//     row to cover the FMA latency;
//   - Q8_0 matmul: runq.c's arithmetic exactly (bit-identical to the
//     reference): int8 products with VPMADDUBSW/VPMADDWD, four rows per
//     pass, each group's exact int32 sum scaled and added in group order
//     (group sizes that are not a multiple of 32 go to kernels/swar);
//   - rmsnorm and attention: their sums and the weighted sum of values in
//     8-lane FMA, the softmax the reference's.
//
// Matmuls are split by rows over a persistent worker pool. It runs only
// where the CPU has AVX2 and FMA (golang.org/x/sys/cpu, checked at run
// time) and declines every op elsewhere; it declines RoPE, SwiGLU and
// Softmax everywhere (elementwise, a small share of a token), which the
// profile's next provider then runs.
//
// fp32 results differ from the scalar reference in the last bits: the sums
// are in another order (lanes, then a fixed reduction) and each
// multiply-add is rounded once, not twice. They do not depend on the
// thread count.
package avx2

import (
	"bytes"
	"fmt"
	"unsafe"

	"github.com/retrollama/retrollama/internal/mathf"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
	"github.com/retrollama/retrollama/kernels/swar"
	"github.com/retrollama/retrollama/kernels/workpool"
)

// parallelMACs is the smallest matmul split across the pool (see
// RATIONALE.md for the measurement).
const parallelMACs = 32 << 10

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
	shape   kernels.Shape
	pool    *workpool.Pool
	task    task   // the in-flight parallel fp32 matmul
	q8      q8Task // the in-flight parallel Q8_0 matmul
	attn    attnTask
	att     []float32
	// xq and xs hold x quantized for a Q8_0 matmul; sized at Init for
	// the model's widest input and grown at Prepare, never in MatMul.
	xq []int8
	xs []float32
	// small runs the Q8_0 matrices whose group size is not a multiple of
	// 32 (stories260K's 4), which the assembly cannot take: swar, exact
	// too and 4× faster than plain loops there. Made at the first such
	// Prepare.
	small *swar.Provider
}

// smallGroups is the Weight of a Q8_0 matrix handed to p.small.
type smallGroups struct{ h kernels.Weight }

// New returns an avx2 provider splitting large matmuls over threads
// goroutines (<= 0: runtime.GOMAXPROCS(0), as workpool.New).
func New(threads int) *Provider { return &Provider{threads: threads} }

// Name implements kernels.Provider.
func (p *Provider) Name() string { return "avx2" }

// Supports implements kernels.Provider: the fp32 and Q8_0 MatMul, the
// fp32 RMSNorm and Attention, on a CPU with AVX2 and FMA.
func (p *Provider) Supports(q kernels.Query) kernels.Support {
	if err := Usable(); err != nil {
		return kernels.Support{Reason: err.Error()}
	}
	switch {
	case q.Op == kernels.MatMul && (q.DType == kernels.F32 || q.DType == kernels.Q8_0),
		q.Op == kernels.RMSNorm && q.DType == kernels.F32,
		q.Op == kernels.Attention:
		return kernels.Support{OK: true}
	case q.Op == kernels.MatMul || q.Op == kernels.RMSNorm:
		return kernels.Support{Reason: fmt.Sprintf("%s: dtype %v not supported", q.Op, q.DType)}
	}
	return kernels.Support{Reason: fmt.Sprintf("%s not supported: avx2 runs matmul, rmsnorm and attention", q.Op)}
}

// Init implements kernels.Provider: it sizes the attention scores and the
// buffers of quantized x, and starts the worker pool.
func (p *Provider) Init(s kernels.Shape) error {
	p.Close() // a second Init starts afresh: the pool, and swar sized for the old shape
	p.shape = s
	p.att = make([]float32, max(s.Heads*s.SeqLen, 0))
	n := max(s.Dim, s.HiddenDim, 0)
	p.xq, p.xs = make([]int8, n), make([]float32, n)
	p.pool = workpool.New(p.threads)
	return nil
}

// matrix is the provider's Weight for fp32: the engine's slice, kept as is.
type matrix struct {
	rows, cols int
	data       []float32
}

// q8Matrix is the provider's Weight for Q8_0 with a group size that is a
// multiple of 32: the engine's int8 values kept as they are, the scales
// re-laid out by quads of rows.
type q8Matrix struct {
	rows, cols int
	gs, groups int
	q          []int8
	// s4 holds the scale of group g of rows 4k..4k+3 at s4[(k·groups +
	// g)·4 : +4]; rows past the last repeat it, so every quad is whole.
	s4 []float32
	// scales are the engine's, for an x the assembly does not take.
	scales []float32
}

// Prepare implements kernels.Provider.
func (p *Provider) Prepare(t kernels.Tensor) (kernels.Weight, error) {
	switch t.DType {
	case kernels.F32:
		if t.Rows < 0 || t.Cols < 0 || len(t.F32) != t.Rows*t.Cols {
			return nil, fmt.Errorf("avx2: prepare %s: %d values for %d×%d", t.Name, len(t.F32), t.Rows, t.Cols)
		}
		return &matrix{rows: t.Rows, cols: t.Cols, data: t.F32}, nil
	case kernels.Q8_0:
		if err := scalar.CheckQ8(t); err != nil {
			return nil, fmt.Errorf("avx2: prepare %s: %w", t.Name, err)
		}
		if t.GroupSize%32 != 0 {
			if p.small == nil {
				p.small = swar.New(p.threads)
				if err := p.small.Init(p.shape); err != nil {
					return nil, fmt.Errorf("avx2: prepare %s: %w", t.Name, err)
				}
			}
			h, err := p.small.Prepare(t)
			if err != nil {
				return nil, fmt.Errorf("avx2: prepare %s: %w", t.Name, err)
			}
			return &smallGroups{h}, nil
		}
		m := &q8Matrix{rows: t.Rows, cols: t.Cols, gs: t.GroupSize, groups: t.Cols / t.GroupSize, q: t.Q8, scales: t.Scales}
		quads := (t.Rows + 3) / 4
		m.s4 = make([]float32, quads*m.groups*4)
		for k := range quads {
			for r := range 4 {
				row := min(4*k+r, t.Rows-1)
				for g := range m.groups {
					m.s4[(k*m.groups+g)*4+r] = t.Scales[row*m.groups+g]
				}
			}
		}
		if t.Cols > len(p.xq) {
			p.xq, p.xs = make([]int8, t.Cols), make([]float32, t.Cols)
		}
		return m, nil
	}
	return nil, fmt.Errorf("avx2: prepare %s: dtype %v not supported", t.Name, t.DType)
}

// task is an fp32 matmul split by rows; it lives in the Provider so that
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

// MatMul implements kernels.MatMul.
func (p *Provider) MatMul(out []float32, h kernels.Weight, x []float32) error {
	switch m := h.(type) {
	case *matrix:
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
	case *q8Matrix:
		if len(x) < m.cols || len(out) < m.rows {
			return fmt.Errorf("avx2: matmul %d×%d: x has %d values, out %d", m.rows, m.cols, len(x), len(out))
		}
		p.matMulQ8(out[:m.rows], m, x[:m.cols])
		return nil
	case *smallGroups:
		return p.small.MatMul(out, m.h, x)
	}
	return kernels.ErrForeignWeight
}

// q8Task is a Q8_0 matmul split by quads of rows, x already quantized;
// like task it lives in the Provider and is cleared after each call.
type q8Task struct {
	out []float32
	m   *q8Matrix
	xq  []int8
	xs  []float32
}

// Do implements workpool.Task: quads [lo, hi).
func (t *q8Task) Do(lo, hi int) { q8Quads(t.out, t.m, t.xq, t.xs, lo, hi) }

// matMulQ8 quantizes x as the reference does (in the assembly unless x
// holds a NaN or a group's scale is not a normal number: then the
// reference's own code), then runs the assembly over quads of rows, or
// the reference's arithmetic where x holds -128 (possible only for a group whose
// scale is subnormal), which VPSIGNB cannot negate. The group size is a
// multiple of 32 (others went to p.small at Prepare).
func (p *Provider) matMulQ8(out []float32, m *q8Matrix, x []float32) {
	xq, xs := p.xq[:m.cols], p.xs[:m.groups]
	if !quantizeFast(xq, xs, x, m.gs) {
		scalar.Quantize(xq, xs, x, m.gs)
		if bytes.IndexByte(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(xq))), len(xq)), 0x80) >= 0 {
			scalar.MatMulQ8Quantized(out, m.q, m.scales, m.cols, m.gs, xq, xs)
			return
		}
	}
	quads := (m.rows + 3) / 4
	if m.rows*m.cols < parallelMACs || p.pool.Size() == 1 {
		q8Quads(out, m, xq, xs, 0, quads)
		return
	}
	p.q8 = q8Task{out: out, m: m, xq: xq, xs: xs}
	p.pool.RunTask(quads, &p.q8)
	p.q8 = q8Task{}
}

// q8Quads computes the rows of quads [lo, hi) in the assembly; the last
// quad of a matrix whose rows are not a multiple of four repeats its last
// row and keeps only the real rows' results.
func q8Quads(out []float32, m *q8Matrix, xq []int8, xs []float32, lo, hi int) {
	n, ng := m.cols, m.groups
	last := m.rows - 1
	for k := lo; k < hi; k++ {
		r := 4 * k
		r1, r2, r3 := min(r+1, last), min(r+2, last), min(r+3, last)
		v := q8dot4(m.q[r*n:], m.q[r1*n:], m.q[r2*n:], m.q[r3*n:], m.s4[k*ng*4:], xq, xs, ng, m.gs)
		copy(out[r:min(r+4, m.rows)], v[:])
	}
}

// RMSNorm implements kernels.RMSNorm: the sum of squares in the assembly,
// then the reference's arithmetic in its order. Its weight must be F32.
func (p *Provider) RMSNorm(out, x []float32, w kernels.Weight) error {
	m, ok := w.(*matrix)
	if !ok {
		if _, q8 := w.(*q8Matrix); q8 {
			return fmt.Errorf("avx2: rmsnorm: dtype %v not supported", kernels.Q8_0)
		}
		return kernels.ErrForeignWeight
	}
	n := len(x)
	if len(out) < n || len(m.data) < n {
		return fmt.Errorf("avx2: rmsnorm: x has %d values, out %d, weight %d", n, len(out), len(m.data))
	}
	ss := dot(x, x)
	ss /= float32(n)
	ss += 1e-5
	ss = 1 / mathf.Sqrt(ss)
	scaleMul(out, m.data, x, ss)
	return nil
}

// parallelAttention is the smallest attention, in multiply-adds ((pos+1)
// · Dim for the scores, as many for the values), split by heads over the
// pool: below it a hand-over costs more than it saves.
const parallelAttention = 8 << 10

// Attention implements kernels.Attention: each score q·k in the assembly
// divided by sqrt(head size) as the reference does, the reference's
// softmax, and the weighted sum of values as one fused multiply-add per
// value row; heads split over the pool once the context is long enough.
// Each head's result depends only on its data, not on the split.
func (p *Provider) Attention(out, q, keys, values []float32, pos int) error {
	s := p.shape
	kvDim := s.KVDim()
	if pos < 0 || pos >= s.SeqLen || len(q) < s.Dim || len(out) < s.Dim ||
		len(keys) < (pos+1)*kvDim || len(values) < (pos+1)*kvDim {
		return fmt.Errorf("avx2: attention at pos %d: operands too short for %+v", pos, s)
	}
	p.attn = attnTask{p: p, out: out, q: q, keys: keys, values: values, pos: pos}
	if (pos+1)*s.Dim < parallelAttention || p.pool.Size() == 1 {
		p.attn.Do(0, s.Heads)
	} else {
		p.pool.RunTask(s.Heads, &p.attn)
	}
	p.attn = attnTask{}
	return nil
}

// attnTask is an attention split by heads; like task it lives in the
// Provider and is cleared after each call.
type attnTask struct {
	p                    *Provider
	out, q, keys, values []float32
	pos                  int
}

// Do implements workpool.Task: heads [lo, hi), each with its own slice of
// the scores.
func (t *attnTask) Do(lo, hi int) {
	s := t.p.shape
	headSize, kvDim := s.HeadSize(), s.KVDim()
	kvMul := s.Heads / s.KVHeads
	scale := mathf.Sqrt(float32(headSize))
	for h := lo; h < hi; h++ {
		qh := t.q[h*headSize : (h+1)*headSize]
		att := t.p.att[h*s.SeqLen : h*s.SeqLen+t.pos+1]
		kvOff := (h / kvMul) * headSize
		for i := range att {
			o := i*kvDim + kvOff
			att[i] = dot(qh, t.keys[o:o+headSize]) / scale
		}
		scalar.SoftmaxInPlace(att)
		xb := t.out[h*headSize : (h+1)*headSize]
		clear(xb)
		for i, a := range att {
			o := i*kvDim + kvOff
			axpy(xb, t.values[o:o+headSize], a)
		}
	}
}

// The elementwise ops are declined in Supports; the engine never calls
// them. They return an error if called directly.

// RoPE implements kernels.Provider (declined).
func (p *Provider) RoPE(q, k []float32, pos int) error { return fmt.Errorf("avx2: rope not supported") }

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
	if p.small != nil {
		p.small.Close()
		p.small = nil
	}
	return nil
}
