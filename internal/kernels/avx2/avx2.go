// Package avx2 is the kernel provider for modern x86-64, in AVX2 assembly
// (dot_amd64.s). Its results are the scalar reference's (llama2.c's
// run.c and runq.c) bit for bit, by construction (issue 16): no sum that
// llama2.c computes in sequence is reassociated. Vector lanes and threads
// go across independent sums, never within one:
//
//   - fp32 matmul: each lane owns one output row, and adds w[r][j]·x[j]
//     for j = 0, 1, 2, ... from +0, the product rounded (VMULPS) and then
//     the sum (VADDPS), never a fused multiply-add. A weight the engine
//     can release (kernels.Tensor.Release: a memory-mapped checkpoint) is
//     copied at Prepare into panels of 8 rows stored column by column
//     (panels.go), its original's pages released as it goes, so that one
//     load is one column of 8 rows and no shuffles are needed; a weight
//     on the Go heap stays in the engine's row-major layout (no second
//     copy), where per 8 columns the 8×8 block of products of 8 rows is
//     transposed in registers and its columns are added in order;
//   - Q8_0 matmul: runq.c's arithmetic exactly: int8 products with
//     VPMADDUBSW/VPMADDWD, each group's exact int32 sum scaled and added
//     in group order; on panels (q8panels.go) for a weight the engine can
//     release, else four rows per pass on the row-major layout. It takes
//     group sizes that are multiples of 32 and declines the others
//     (stories260K's 4), which the profile's next provider runs;
//   - attention: each score q·k_t is the matmul kernel's sequential sum
//     (lanes across positions t), divided by sqrt(head size) as the
//     reference does; the reference's softmax; the weighted sum of the
//     values with lanes across elements, positions added in order, each
//     product rounded and then added;
//   - rmsnorm: the reference's sequential sum of squares, then the
//     elementwise w[j]·(ss·x[j]) eight elements at a time in its order.
//
// So a sampled run prints llama2.c's bytes, whatever the thread count or
// layout: matmuls are split by rows and attention by heads over a persistent
// worker pool, and a row's or head's result depends only on its data.
// It runs only where the CPU has AVX2 (golang.org/x/sys/cpu, checked at
// run time) and declines every op elsewhere; it declines RoPE, SwiGLU and
// Softmax everywhere (elementwise, a small share of a token), which the
// profile's next provider then runs.
package avx2

import (
	"bytes"
	"fmt"
	"unsafe"

	"github.com/retrollama/retrollama/internal/kernels/exact"
	"github.com/retrollama/retrollama/internal/kernels/workpool"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/mathf"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// parallelMACs is the smallest matmul split across the pool. Why 32K:
// RATIONALE.md, section "AVX2 provider and the worker pool".
const parallelMACs = 32 << 10

// Usable reports nil when this CPU runs the provider, else why not.
func Usable() error {
	if !hasAVX2 {
		return fmt.Errorf("needs AVX2 (amd64); this CPU or GOARCH lacks it")
	}
	return nil
}

// Provider is the avx2 provider. The zero value is not ready: use New,
// then Init.
type Provider struct {
	kernels.Declined // RoPE, SwiGLU, Softmax: declined in Supports

	pool  workpool.Threads
	shape kernels.Shape
	task  task        // the in-flight parallel fp32 matmul on row-major weights
	ptask panelTask   // the in-flight parallel fp32 matmul on panels
	q8    q8Task      // the in-flight parallel Q8_0 matmul
	q8p   q8PanelTask // the in-flight parallel Q8_0 matmul on panels
	attn  attnTask
	att   []float32
	// xq and xs hold x quantized for a Q8_0 matmul; sized at Init for
	// the model's widest input and grown at Prepare, never in MatMul.
	xq []int8
	xs []float32
}

// New returns an avx2 provider splitting large matmuls over threads
// goroutines (<= 0: runtime.GOMAXPROCS(0), as workpool.New).
func New(threads int) *Provider {
	return NewOn(workpool.Own(threads))
}

// NewOn returns an avx2 provider splitting large ops over pool: a pool of
// its own (workpool.Own) or the dispatch table's (workpool.Sharing).
func NewOn(pool workpool.Threads) *Provider {
	return &Provider{Declined: kernels.Declined{Provider: "avx2"}, pool: pool}
}

// Name implements kernels.Provider.
func (p *Provider) Name() string { return "avx2" }

// Supports implements kernels.Provider: the fp32 and Q8_0 MatMul, the
// fp32 RMSNorm and Attention, on a CPU with AVX2. It declines a Q8_0
// MatMul whose group size is not a multiple of 32 (the assembly reads 32
// values at a time within a group); a query without a group size (0) is
// answered for the multiples of 32, and Prepare rejects the others.
func (p *Provider) Supports(q kernels.Query) kernels.Support {
	if err := Usable(); err != nil {
		return kernels.Support{Reason: err.Error()}
	}
	switch {
	case q.Op == kernels.MatMul && q.DType == kernels.Q8_0 && q.GroupSize%32 != 0:
		return kernels.Support{Reason: fmt.Sprintf("matmul: q8_0 group size %d is not a multiple of 32", q.GroupSize)}
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
	p.Close() // a second Init starts afresh
	p.shape = s
	p.att = make([]float32, max(s.Heads*s.SeqLen, 0))
	n := max(s.Dim, s.HiddenDim, 0)
	p.xq, p.xs = make([]int8, n), make([]float32, n)
	p.pool.Start()
	return nil
}

// matrix is the provider's Weight for fp32: the engine's slice, and for a
// matmul weight the engine can release (Tensor.Release), the same values
// re-laid out in panels (see panelize), which MatMul then uses.
type matrix struct {
	rows, cols int
	data       []float32
	panels     []float32 // nil: the engine's row-major layout
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
	// panels and s32 are the weights and scales re-laid out
	// (q8panels.go) for a weight the engine can release; nil: the
	// row-major kernel (q8dot4) runs.
	panels []int8
	s32    []float32
}

// Prepare implements kernels.Provider.
func (p *Provider) Prepare(t kernels.Tensor) (kernels.Weight, error) {
	switch t.DType {
	case kernels.F32:
		if t.Rows < 0 || t.Cols < 0 || len(t.F32) != t.Rows*t.Cols {
			return nil, fmt.Errorf("avx2: prepare %s: %d values for %d×%d", t.Name, len(t.F32), t.Rows, t.Cols)
		}
		m := &matrix{rows: t.Rows, cols: t.Cols, data: t.F32}
		if t.Release != nil && t.Rows > 1 && t.Cols > 0 {
			m.panels = panelize(t.F32, t.Rows, t.Cols, t.Release)
		}
		return m, nil
	case kernels.Q8_0:
		if err := scalar.CheckQ8(t); err != nil {
			return nil, fmt.Errorf("avx2: prepare %s: %w", t.Name, err)
		}
		if t.GroupSize%32 != 0 {
			return nil, fmt.Errorf("avx2: prepare %s: q8_0 group size %d is not a multiple of 32 (declined in Supports)", t.Name, t.GroupSize)
		}
		m := &q8Matrix{rows: t.Rows, cols: t.Cols, gs: t.GroupSize, groups: t.Cols / t.GroupSize, q: t.Q8, scales: t.Scales}
		if t.Cols > len(p.xq) {
			p.xq, p.xs = make([]int8, t.Cols), make([]float32, t.Cols)
		}
		if t.Release != nil && t.Rows > 1 && t.Cols > 0 {
			m.panels, m.s32 = q8panelize(t.Q8, t.Scales, t.Rows, t.Cols, t.GroupSize, t.Release)
			return m, nil
		}
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

// task is an fp32 matmul split by blocks of 16 rows (the last one
// possibly shorter), the assembly's pass, so that no split leaves an
// 8-row group to run alone; it lives in the Provider so that handing it
// to the pool allocates nothing.
type task struct {
	out, x, w  []float32
	rows, cols int
}

// Do implements workpool.Task: blocks [lo, hi), rows [16·lo, 16·hi).
func (t *task) Do(lo, hi int) {
	matmulRows(t.out, t.w, t.x, t.rows, t.cols, t.cols, 16*lo, min(16*hi, t.rows))
}

// matmulRows computes out[i] = Σ_j w[i·stride+j]·x[j] over j < n for lo
// ≤ i < hi, each sum the reference's: from +0, j in order, every product
// and every sum rounded to float32. w holds rows rows (of which lo..hi-1
// are computed, the others may be read). The assembly takes groups of 8
// rows over the first n &^ 7 columns; fewer than 8 rows at the end are
// computed within 8 rows of the matrix that hold them (rows outside
// lo..hi-1 are read again and their sums discarded), or in Go when the
// matrix has fewer than 8 rows; the n mod 8 last columns are added in Go.
// A row's result depends only on its data, never on how rows are grouped
// or split.
func matmulRows(out, w, x []float32, rows, n, stride, lo, hi int) {
	n8 := n &^ 7
	x = x[:n:n]
	groups := (hi - lo) / 8
	if groups > 0 {
		matmulGroups(out[lo:], w[lo*stride:], x, n8, stride, groups)
	}
	if rest := lo + 8*groups; rest < hi {
		if rows >= 8 {
			var last [8]float32
			first := max(hi-8, 0) // 8 rows of the matrix holding rest..hi-1
			matmulGroups(last[:], w[first*stride:], x, n8, stride, 1)
			copy(out[rest:hi], last[rest-first:])
		} else {
			for i := rest; i < hi; i++ {
				var s float32
				for j, v := range w[i*stride : i*stride+n8] {
					s += float32(v * x[j]) // the conversion forbids a fused multiply-add
				}
				out[i] = s
			}
		}
	}
	if n8 < n {
		for i := lo; i < hi; i++ {
			s := out[i]
			for j, v := range w[i*stride+n8 : i*stride+n] {
				s += float32(v * x[n8+j])
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
		if m.panels != nil {
			units := (m.rows + panelUnit - 1) / panelUnit
			if m.rows*m.cols < parallelMACs || p.pool.Size() == 1 {
				panelUnits(out, m, x, 0, units)
				return nil
			}
			p.ptask = panelTask{out: out[:m.rows], x: x[:m.cols], m: m}
			p.pool.RunTask(units, &p.ptask)
			p.ptask = panelTask{}
			return nil
		}
		if m.rows*m.cols < parallelMACs || p.pool.Size() == 1 {
			matmulRows(out, m.data, x, m.rows, m.cols, m.cols, 0, m.rows)
			return nil
		}
		p.task = task{out: out[:m.rows], x: x[:m.cols], w: m.data, rows: m.rows, cols: m.cols}
		p.pool.RunTask((m.rows+15)/16, &p.task)
		p.task = task{}
		return nil
	case *q8Matrix:
		if len(x) < m.cols || len(out) < m.rows {
			return fmt.Errorf("avx2: matmul %d×%d: x has %d values, out %d", m.rows, m.cols, len(x), len(out))
		}
		p.matMulQ8(out[:m.rows], m, x[:m.cols])
		return nil
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
// multiple of 32 (Prepare rejects the others).
func (p *Provider) matMulQ8(out []float32, m *q8Matrix, x []float32) {
	xq, xs := p.xq[:m.cols], p.xs[:m.groups]
	if !quantizeFast(xq, xs, x, m.gs) {
		scalar.Quantize(xq, xs, x, m.gs)
		if bytes.IndexByte(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(xq))), len(xq)), 0x80) >= 0 {
			if m.panels != nil {
				q8PanelMatmulGo(out, m.panels, m.s32, xq, xs, m.gs)
				return
			}
			scalar.MatMulQ8Quantized(out, m.q, m.scales, m.cols, m.gs, xq, xs)
			return
		}
	}
	if m.panels != nil {
		units := (m.rows + q8PanelUnit - 1) / q8PanelUnit
		if m.rows*m.cols < parallelMACs || p.pool.Size() == 1 {
			q8PanelUnits(out, m, xq, xs, 0, units)
			return
		}
		p.q8p = q8PanelTask{out: out, m: m, xq: xq, xs: xs}
		p.pool.RunTask(units, &p.q8p)
		p.q8p = q8PanelTask{}
		return
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

// RMSNorm implements kernels.RMSNorm: the reference's arithmetic in its
// order, the sum of squares in sequence (a plain loop: one chain of
// additions, as short as the residual stream) and the elementwise
// w[j]·(ss·x[j]) in the assembly. Its weight must be F32.
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
	scaleMul(out, m.data, x, exact.RMSScale(x))
	return nil
}

// parallelAttention is the smallest attention, in multiply-adds ((pos+1)
// · Dim for the scores, as many for the values), split by heads over the
// pool: below it a hand-over costs more than it saves.
const parallelAttention = 8 << 10

// Attention implements kernels.Attention, bit-identical to the reference:
// the scores q·k_t are a matmul of the head's keys (positions as rows,
// KVDim apart) by q, each a sequential sum, divided by sqrt(head size) as
// the reference does; the reference's softmax; the weighted sum of the
// values with lanes across elements, positions in order, product then
// sum. Heads are split over the pool once the context is long enough;
// each head's result depends only on its data, not on the split.
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
	n8 := headSize &^ 7
	for h := lo; h < hi; h++ {
		qh := t.q[h*headSize : (h+1)*headSize]
		att := t.p.att[h*s.SeqLen : h*s.SeqLen+t.pos+1]
		kvOff := (h / kvMul) * headSize
		matmulRows(att, t.keys[kvOff:], qh, len(att), headSize, kvDim, 0, len(att))
		divAll(att, scale)
		softmax(att)
		xb := t.out[h*headSize : (h+1)*headSize]
		values := t.values[kvOff:]
		wsum(xb, values, att, n8, kvDim)
		for i := n8; i < headSize; i++ { // the head size mod 8 last elements
			var v float32
			for k, a := range att {
				v += float32(values[k*kvDim+i] * a)
			}
			xb[i] = v
		}
	}
}

// Close implements kernels.Provider.
func (p *Provider) Close() error {
	p.pool.Stop()
	return nil
}

// softmax is the reference's softmax of x in place: its exponentials and
// their sequential sum (scalar.SoftmaxExp), then the divisions by the sum
// eight at a time.
func softmax(x []float32) {
	if len(x) > 0 {
		divAll(x, scalar.SoftmaxExp(x))
	}
}
