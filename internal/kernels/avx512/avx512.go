// Package avx512 is the kernel provider for x86-64 CPUs with AVX-512, in
// Go assembly (matmul_amd64.s). It has the matmuls, fp32 and Q8_0, both
// bit-identical to the scalar reference (llama2.c's run.c and runq.c),
// exact by construction: work is spread across independent sums, never
// within one. Profiles get its Q8_0 matmul only: Supports declines the
// fp32 one for avx2's (see declinedF32).
//
//   - fp32 matmul: each of the 16 lanes of a ZMM accumulator owns one
//     output row, and adds w[r][j]·x[j] for j = 0, 1, 2, ... in run.c's
//     order, a rounded multiply then a rounded add (never a fused
//     multiply-add), from +0. The weights stay in the engine's row-major
//     layout: per block of 16 rows × 16 columns the kernel multiplies
//     each row by x, transposes the 16×16 products in registers and adds
//     the columns in order.
//   - Q8_0 matmul: per group, each row's exact int32 dot product with the
//     quantized x (VPDPBUSD, AVX512_VNNI), the 16 rows' sums in one
//     vector, then runq.c's val += (float32(ival)·ws)·xs for the 16 rows
//     at once, group after group. Group sizes 32 and multiples of 64;
//     others are declined (Query.GroupSize), for the profile's next
//     provider.
//
// Rows are split in blocks of 16 over a persistent worker pool; a last
// block of fewer than 16 rows runs the reference's loop. Results do not
// depend on the thread count. It runs only where the CPU has AVX-512 F,
// BW and VL (and VNNI for Q8_0) and the OS saves the ZMM registers
// (golang.org/x/sys/cpu, at run time), and declines every op elsewhere.
// It declines the other ops everywhere (kernels.Declined); the avx512
// profile hands rmsnorm and attention to avx2, exact too, and the
// elementwise ops to unroll8.
package avx512

import (
	"fmt"

	"github.com/retrollama/retrollama/internal/kernels/workpool"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// parallelMACs is the smallest matmul, in multiply-adds, split across the
// pool: below it handing blocks to other threads costs more than it
// saves (the same threshold as the avx2 provider's).
const parallelMACs = 32 << 10

// Usable reports nil when this CPU runs the provider's fp32 matmul, else
// why not.
func Usable() error {
	if !hasAVX512 {
		return fmt.Errorf("needs AVX-512 F, BW and VL (amd64) with ZMM state enabled by the OS; this CPU, OS or GOARCH lacks them")
	}
	return nil
}

// usableQ8 reports nil when this CPU also runs the Q8_0 matmul.
func usableQ8() error {
	if err := Usable(); err != nil {
		return err
	}
	if !hasVNNI {
		return fmt.Errorf("q8_0 matmul needs AVX512_VNNI, which this CPU lacks")
	}
	return nil
}

// takesGroupSize reports whether the Q8_0 kernels take groups of gs.
func takesGroupSize(gs int) bool { return gs == 32 || gs > 0 && gs%64 == 0 }

// Provider is the avx512 provider. The zero value is not ready: use New,
// then Init.
type Provider struct {
	kernels.Declined // RMSNorm, RoPE, Attention, SwiGLU, Softmax: declined

	pool workpool.Threads
	f32  f32Task // the in-flight parallel fp32 matmul
	q8   q8Task  // the in-flight parallel Q8_0 matmul
	// xq, xs and corr hold x quantized for a Q8_0 matmul (its int8
	// values, one scale per group, and 128·Σxq per group); sized at Init
	// for the model's widest input and grown at Prepare, never in
	// MatMul.
	xq   []int8
	xs   []float32
	corr []int32
}

// New returns an avx512 provider splitting large matmuls over threads
// goroutines (<= 0: runtime.GOMAXPROCS(0), as workpool.New).
func New(threads int) *Provider {
	return NewOn(workpool.Own(threads))
}

// NewOn returns an avx512 provider splitting large ops over pool: a pool of
// its own (workpool.Own) or the dispatch table's (workpool.Sharing).
func NewOn(pool workpool.Threads) *Provider {
	return &Provider{Declined: kernels.Declined{Provider: "avx512"}, pool: pool}
}

// Name implements kernels.Provider.
func (p *Provider) Name() string { return "avx512" }

// Supports implements kernels.Provider: the fp32 MatMul on a CPU with
// AVX-512 F/BW/VL, the Q8_0 MatMul with group size 32 or a multiple of
// 64 where it also has AVX512_VNNI; nothing else.
func (p *Provider) Supports(q kernels.Query) kernels.Support {
	if err := Usable(); err != nil {
		return kernels.Support{Reason: err.Error()}
	}
	if q.Op != kernels.MatMul {
		return kernels.Support{Reason: fmt.Sprintf("%s not supported: avx512 runs the matmuls only", q.Op)}
	}
	switch q.DType {
	case kernels.F32:
		return kernels.Support{Reason: declinedF32}
	case kernels.Q8_0:
		if err := usableQ8(); err != nil {
			return kernels.Support{Reason: err.Error()}
		}
		if !takesGroupSize(q.GroupSize) {
			return kernels.Support{Reason: fmt.Sprintf("q8_0 group size %d not supported: avx512 takes 32 and multiples of 64", q.GroupSize)}
		}
		return kernels.Support{OK: true}
	}
	return kernels.Support{Reason: fmt.Sprintf("%s: dtype %v not supported", q.Op, q.DType)}
}

// declinedF32 is why the fp32 matmul is declined, for "kernels explain":
// avx2 does every fp32 matmul. The kernel stays, tested, for a machine
// where a measurement shows otherwise. Why: RATIONALE.md, section "Exact
// by construction".
const declinedF32 = "fp32 matmul declined for avx2's (inferred, not measured side by side: these transposes matched avx2's, which avx2's panels beat)"

// Init implements kernels.Provider: it sizes the buffers of quantized x
// and starts the worker pool.
func (p *Provider) Init(s kernels.Shape) error {
	p.Close() // a second Init starts afresh
	p.grow(max(s.Dim, s.HiddenDim, 0))
	p.pool.Start()
	return nil
}

// grow makes the quantized-x buffers hold n values.
func (p *Provider) grow(n int) {
	if n > len(p.xq) {
		p.xq, p.xs, p.corr = make([]int8, n), make([]float32, n), make([]int32, n)
	}
}

// matrix is the provider's Weight for fp32: the engine's slice, kept as
// is (no copy, no re-layout).
type matrix struct {
	rows, cols int
	data       []float32
}

// q8Matrix is the provider's Weight for Q8_0: the engine's values and
// scales, kept as they are.
type q8Matrix struct {
	rows, cols int
	gs, groups int
	q          []int8
	scales     []float32
	// gidx holds r·groups for r = 0..15: where row r's scales start
	// relative to row 0's, the offsets the kernel gathers the 16 rows'
	// scales of a group at.
	gidx [16]int32
}

// Prepare implements kernels.Provider.
func (p *Provider) Prepare(t kernels.Tensor) (kernels.Weight, error) {
	switch t.DType {
	case kernels.F32:
		if t.Rows < 0 || t.Cols < 0 || len(t.F32) != t.Rows*t.Cols {
			return nil, fmt.Errorf("avx512: prepare %s: %d values for %d×%d", t.Name, len(t.F32), t.Rows, t.Cols)
		}
		return &matrix{rows: t.Rows, cols: t.Cols, data: t.F32}, nil
	case kernels.Q8_0:
		if err := scalar.CheckQ8(t); err != nil {
			return nil, fmt.Errorf("avx512: prepare %s: %w", t.Name, err)
		}
		if !takesGroupSize(t.GroupSize) {
			return nil, fmt.Errorf("avx512: prepare %s: q8_0 group size %d not supported (declined in Supports)", t.Name, t.GroupSize)
		}
		m := &q8Matrix{rows: t.Rows, cols: t.Cols, gs: t.GroupSize, groups: t.Cols / t.GroupSize, q: t.Q8, scales: t.Scales}
		if 15*m.groups > 1<<31-1 {
			return nil, fmt.Errorf("avx512: prepare %s: %d groups per row is too many to gather", t.Name, m.groups)
		}
		for r := range m.gidx {
			m.gidx[r] = int32(r * m.groups)
		}
		p.grow(t.Cols)
		return m, nil
	}
	return nil, fmt.Errorf("avx512: prepare %s: dtype %v not supported", t.Name, t.DType)
}

// MatMul implements kernels.MatMul.
func (p *Provider) MatMul(out []float32, h kernels.Weight, x []float32) error {
	switch m := h.(type) {
	case *matrix:
		if len(x) < m.cols || len(out) < m.rows {
			return fmt.Errorf("avx512: matmul %d×%d: x has %d values, out %d", m.rows, m.cols, len(x), len(out))
		}
		p.f32 = f32Task{out: out[:m.rows], w: m.data, x: x[:m.cols:m.cols], cols: m.cols}
		p.overBlocks(m.rows, m.cols, &p.f32)
		p.f32 = f32Task{}
		return nil
	case *q8Matrix:
		if len(x) < m.cols || len(out) < m.rows {
			return fmt.Errorf("avx512: matmul %d×%d: x has %d values, out %d", m.rows, m.cols, len(x), len(out))
		}
		xq, xs, corr := p.xq[:m.cols], p.xs[:m.groups], p.corr[:m.groups]
		if !quantizeFast(xq, xs, corr, x[:m.cols], m.gs) {
			scalar.Quantize(xq, xs, x[:m.cols], m.gs)
			for g := range corr {
				var s int32
				for _, v := range xq[g*m.gs : (g+1)*m.gs] {
					s += int32(v)
				}
				corr[g] = 128 * s
			}
		}
		p.q8 = q8Task{out: out[:m.rows], m: m, xq: xq, xs: xs, corr: corr}
		p.overBlocks(m.rows, m.cols, &p.q8)
		p.q8 = q8Task{}
		return nil
	}
	return kernels.ErrForeignWeight
}

// overBlocks does t over the blocks of 16 rows of a rows×cols matmul: on this
// goroutine when it is small or the pool has one thread, else split
// over the pool.
func (p *Provider) overBlocks(rows, cols int, t workpool.Task) {
	blocks := (rows + 15) / 16
	if rows*cols < parallelMACs || p.pool.Size() == 1 {
		t.Do(0, blocks)
		return
	}
	p.pool.RunTask(blocks, t)
}

// f32Task is an fp32 matmul split by blocks of 16 rows; it lives in the
// Provider so that handing it to the pool allocates nothing, and is
// cleared after each call.
type f32Task struct {
	out, w, x []float32
	cols      int
}

// Do implements workpool.Task: blocks [lo, hi), the assembly for whole
// blocks, the reference's loop for a last block of fewer than 16 rows.
func (t *f32Task) Do(lo, hi int) {
	n, rows := t.cols, len(t.out)
	for b := lo; b < hi; b++ {
		r := 16 * b
		if r+16 <= rows && n > 0 {
			matmul16(t.out[r:r+16], t.w[r*n:(r+16)*n], t.x, n)
			continue
		}
		for i := r; i < min(r+16, rows); i++ {
			t.out[i] = dotRef(t.w[i*n:(i+1)*n], t.x)
		}
	}
}

// dotRef is the scalar reference's sum for one row: Σ w[j]·x[j], j in
// order, each product rounded before it is added.
func dotRef(w, x []float32) float32 {
	var sum float32
	for j, v := range w {
		sum += float32(v * x[j]) // the conversion forbids a fused multiply-add
	}
	return sum
}

// q8Task is a Q8_0 matmul split by blocks of 16 rows, x already
// quantized; like f32Task it lives in the Provider.
type q8Task struct {
	out  []float32
	m    *q8Matrix
	xq   []int8
	xs   []float32
	corr []int32
}

// q8Block is what the Q8_0 kernel is given for 16 rows: the rows' values
// and scales from the block's first row on, the matrix's sizes and the
// quantized x.
type q8Block struct {
	w                []int8
	scales           []float32
	cols, groups, gs int
	gidx             *[16]int32
	xq               []int8
	xs               []float32
	corr             []int32
}

// Do implements workpool.Task: blocks [lo, hi), the assembly for whole
// blocks, the reference's arithmetic for a last block of fewer than 16
// rows.
func (t *q8Task) Do(lo, hi int) {
	m := t.m
	n, g := m.cols, m.groups
	for b := lo; b < hi; b++ {
		r := 16 * b
		blk := q8Block{w: m.q[r*n:], scales: m.scales[r*g:], cols: n, groups: g, gs: m.gs, gidx: &m.gidx, xq: t.xq, xs: t.xs, corr: t.corr}
		if r+16 <= m.rows && n > 0 {
			q8matmul16(t.out[r:r+16], blk)
			continue
		}
		q8Ref(t.out[r:m.rows], blk)
	}
}

// q8Ref is the reference's Q8_0 arithmetic for len(out) rows of b.
func q8Ref(out []float32, b q8Block) {
	scalar.MatMulQ8Quantized(out, b.w, b.scales, b.cols, b.gs, b.xq, b.xs)
}

// Close implements kernels.Provider.
func (p *Provider) Close() error {
	p.pool.Stop()
	return nil
}

var _ kernels.Provider = (*Provider)(nil)
