// Package unrolled is a pure-Go kernel provider in two variants,
// "unroll4" and "unroll8", that run a matmul 4 or 8 rows per pass over x:
// each row keeps its own float32 accumulator, so the CPU overlaps the
// rows' independent adds where the scalar reference waits on one chain of
// dependent adds, and one load of x[j] feeds every row of the pass.
// Attention's q·k scores run the same way, several positions per pass.
// Being plain Go, the provider runs on every GOARCH (including 386 with
// GO386=softfloat). Large matmuls are split by rows over a persistent
// worker pool (internal/kernels/workpool).
//
// Results are bit-identical to the scalar reference, and so to llama2.c's
// run.c and runq.c, for every op, dtype and thread count. That holds by
// construction (issue 16, "exact by construction"): no sum that run.c
// computes in sequence is reassociated. Work is parallelised across
// independent sums (rows, attention positions, elements) and never within
// one; every product is rounded to float32 before it is added (no fused
// multiply-add, see dot.go); the Q8_0 MatMul's integer sums are exact in
// any order (see q8.go). Why: RATIONALE.md, sections "Exact by
// construction" and "Unrolled kernels".
package unrolled

import (
	"fmt"

	"github.com/retrollama/retrollama/internal/kernels/workpool"
	"github.com/retrollama/retrollama/kernels"
)

// Provider is the unrolled provider. The zero value is not ready: use New,
// then Init.
type Provider struct {
	width int              // rows per pass: 4 or 8
	name  string           // "unroll4" or "unroll8"
	rows  rowsFunc         // rows4 or rows8; nil for a bad width
	pool  workpool.Threads // the worker pool, own or shared (NewOn)

	shape kernels.Shape
	att   []float32 // attention scores, Heads × SeqLen
	freq  []float32 // RoPE frequency of each pair within a head
	// cos and sin are RoPE's rotation of each offset within a head at
	// position ropePos (-1: none yet): every layer rotates by the same
	// angles at a position, so they are computed once per position, not
	// once per layer.
	cos, sin []float32
	ropePos  int
	swiglu   swigluTask // the one in-flight parallel SwiGLU
	mm       matmulTask // the one in-flight parallel fp32 matmul
	q8       q8Task     // the one in-flight parallel Q8_0 matmul
	// xq and xs hold x quantized for a Q8_0 MatMul: its int8 values and
	// one scale per group. Sized at Init for the model's widest input and
	// grown at Prepare for a wider Q8_0 matrix, never in MatMul.
	xq []int8
	xs []float32
}

// New returns an unrolled provider running width rows per pass (4 or 8)
// that splits large matmuls over threads goroutines (<= 0 means
// runtime.GOMAXPROCS(0), as workpool.New). New does not fail: with any
// other width the provider declines every op in Supports, saying why, and
// Init returns an error, so a bad configuration is reported by the engine
// like any unsupported provider rather than crashing it.
func New(width, threads int) *Provider { return NewOn(width, workpool.Own(threads)) }

// NewOn returns an unrolled provider like New that splits its large ops
// over pool: a pool of its own (workpool.Own) or the dispatch table's
// (workpool.Sharing).
func NewOn(width int, pool workpool.Threads) *Provider {
	p := &Provider{width: width, name: fmt.Sprintf("unroll%d", width), pool: pool}
	switch width {
	case 4:
		p.rows = rows4
	case 8:
		p.rows = rows8
	}
	return p
}

// Name implements kernels.Provider: "unroll4" or "unroll8".
func (p *Provider) Name() string { return p.name }

// Supports implements kernels.Provider: every fp32 op and the Q8_0
// MatMul on every CPU, for a valid width.
func (p *Provider) Supports(q kernels.Query) kernels.Support {
	if p.rows == nil {
		return kernels.Support{Reason: fmt.Sprintf("width %d not supported (4 or 8)", p.width)}
	}
	if q.DType != kernels.F32 && !(q.DType == kernels.Q8_0 && q.Op == kernels.MatMul) {
		return kernels.Support{Reason: fmt.Sprintf("%s: dtype %v not supported", q.Op, q.DType)}
	}
	return kernels.Support{OK: true}
}

// Init implements kernels.Provider: it allocates all scratch memory and
// starts the worker pool, so that no per-token call allocates.
func (p *Provider) Init(s kernels.Shape) error {
	if p.rows == nil {
		return fmt.Errorf("%s: init: width %d not supported (4 or 8)", p.name, p.width)
	}
	if s.Heads <= 0 || s.KVHeads <= 0 || s.SeqLen <= 0 || s.Dim <= 0 ||
		s.Dim%s.Heads != 0 || s.Heads%s.KVHeads != 0 {
		return fmt.Errorf("%s: init: bad shape %+v", p.name, s)
	}
	p.shape = s
	p.att = make([]float32, s.Heads*s.SeqLen)
	p.freq = ropeFrequencies(s.HeadSize())
	p.cos, p.sin, p.ropePos = make([]float32, s.HeadSize()), make([]float32, s.HeadSize()), -1
	n := max(s.Dim, s.HiddenDim, 0)
	p.xq, p.xs = make([]int8, n), make([]float32, n)
	p.pool.Start()
	return nil
}

// matrix is the provider's Weight for an F32 tensor: the engine's slice,
// kept as is.
type matrix struct {
	rows, cols int
	data       []float32
}

// Prepare implements kernels.Provider: weights stay where they are.
func (p *Provider) Prepare(t kernels.Tensor) (kernels.Weight, error) {
	switch t.DType {
	case kernels.F32:
		if t.Rows < 0 || t.Cols < 0 || len(t.F32) != t.Rows*t.Cols {
			return nil, fmt.Errorf("%s: prepare %s: %d values for %d×%d", p.name, t.Name, len(t.F32), t.Rows, t.Cols)
		}
		return &matrix{rows: t.Rows, cols: t.Cols, data: t.F32}, nil
	case kernels.Q8_0:
		if err := checkQ8(t); err != nil {
			return nil, fmt.Errorf("%s: prepare %s: %w", p.name, t.Name, err)
		}
		if t.Cols > len(p.xq) { // wider than the model's activations
			p.xq, p.xs = make([]int8, t.Cols), make([]float32, t.Cols)
		}
		return &q8Matrix{rows: t.Rows, cols: t.Cols, groupSize: t.GroupSize, q: t.Q8, scales: t.Scales}, nil
	}
	return nil, fmt.Errorf("%s: prepare %s: dtype %v not supported", p.name, t.Name, t.DType)
}

// Close implements kernels.Provider: it stops the worker pool and drops
// the scratch memory.
func (p *Provider) Close() error {
	p.pool.Stop()
	p.att, p.freq, p.xq, p.xs, p.cos, p.sin = nil, nil, nil, nil, nil, nil
	return nil
}

var _ kernels.Provider = (*Provider)(nil)
