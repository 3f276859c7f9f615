package swar

import (
	"fmt"
	"math"

	"github.com/retrollama/retrollama/internal/kernels/workpool"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// maxWords bounds a packed matrix (2^43 words, 64 TiB; less where int
// has 32 bits) so that Prepare returns an error, rather than make
// panicking, for an absurd tensor.
const maxWords = min(1<<43, math.MaxInt/8)

// Provider is the swar provider. The zero value is not ready: use New,
// then Init.
type Provider struct {
	kernels.Declined // every op but MatMul

	pool workpool.Threads
	task task // the one in-flight parallel matmul
	// xq, xs and xw hold x quantized for a MatMul (int8 values, one scale
	// per group) and packed (xw). Sized at Init for the model's widest
	// input and grown at Prepare for a wider matrix, never in MatMul.
	xq []int8
	xs []float32
	xw []uint64
}

// New returns a swar provider that splits large matmuls over threads
// goroutines (<= 0 means runtime.GOMAXPROCS(0), as workpool.New).
func New(threads int) *Provider {
	return NewOn(workpool.Own(threads))
}

// NewOn returns a swar provider splitting large ops over pool: a pool of
// its own (workpool.Own) or the dispatch table's (workpool.Sharing).
func NewOn(pool workpool.Threads) *Provider {
	return &Provider{Declined: kernels.Declined{Provider: "swar"}, pool: pool}
}

// Name implements kernels.Provider.
func (p *Provider) Name() string { return "swar" }

// Supports implements kernels.Provider: the Q8_0 MatMul only, on every
// CPU (plain Go; on 32-bit GOARCHes the 64-bit multiplies are emulated
// and slow, but still exact).
func (p *Provider) Supports(q kernels.Query) kernels.Support {
	switch {
	case q.Op != kernels.MatMul:
		return kernels.Support{Reason: fmt.Sprintf("%s not supported: swar runs only the q8_0 matmul", q.Op)}
	case q.DType != kernels.Q8_0:
		return kernels.Support{Reason: fmt.Sprintf("matmul: dtype %v not supported: swar runs only the q8_0 matmul", q.DType)}
	}
	return kernels.Support{OK: true}
}

// Init implements kernels.Provider: it sizes the buffers of x for the
// model's widest matmul input and starts the worker pool.
func (p *Provider) Init(s kernels.Shape) error {
	n := max(s.Dim, s.HiddenDim, 0)
	// A row packs into at most one word per value (GroupSize 1).
	p.xq, p.xs, p.xw = make([]int8, n), make([]float32, n), make([]uint64, n)
	p.pool.Start()
	return nil
}

// matrix is the provider's Weight: a Q8_0 matrix packed by quads of rows.
type matrix struct {
	rows, cols int
	quads      int // (rows+3)/4
	layout
	// w holds word k of rows 4q..4q+3 at w[(q·words + k)·4 : +4], rows
	// past rows being zeros.
	w []uint64
	// s holds the scales of group g of rows 4q..4q+3 at s[(q·ng + g)·4 :
	// +4], zero for rows past rows.
	s []float32
}

// Prepare implements kernels.Provider: it checks a Q8_0 tensor as the
// reference does and packs it.
func (p *Provider) Prepare(t kernels.Tensor) (kernels.Weight, error) {
	if t.DType != kernels.Q8_0 {
		return nil, fmt.Errorf("swar: prepare %s: dtype %v not supported", t.Name, t.DType)
	}
	if err := scalar.CheckQ8(t); err != nil {
		return nil, fmt.Errorf("swar: prepare %s: %w", t.Name, err)
	}
	// CheckQ8 compares lengths with Rows·Cols, which may have wrapped.
	if t.Cols > 0 && t.Rows > math.MaxInt/t.Cols {
		return nil, fmt.Errorf("swar: prepare %s: q8_0 matrix %d×%d is too large", t.Name, t.Rows, t.Cols)
	}
	l := newLayout(t.Cols, t.GroupSize)
	m := &matrix{rows: t.Rows, cols: t.Cols, quads: t.Rows/4 + min(t.Rows%4, 1), layout: l}
	wpr := l.words()
	if wpr > 0 && m.quads > maxWords/4/wpr {
		return nil, fmt.Errorf("swar: prepare %s: q8_0 matrix %d×%d is too large to pack", t.Name, t.Rows, t.Cols)
	}
	m.w = make([]uint64, m.quads*4*wpr)
	m.s = make([]float32, m.quads*4*l.ng)
	for i := range t.Rows {
		if wpr == 0 { // no columns: nothing to pack, however many rows
			break
		}
		q, r := i/4, i%4
		l.pack(m.w[q*4*wpr+r:], 4, t.Q8[i*t.Cols:(i+1)*t.Cols], false)
		for g, sc := range t.Scales[i*l.ng : (i+1)*l.ng] {
			m.s[(q*l.ng+g)*4+r] = sc
		}
	}
	if t.Cols > len(p.xq) { // wider than the model's activations
		p.xq, p.xs = make([]int8, t.Cols), make([]float32, t.Cols)
	}
	if wpr > len(p.xw) {
		p.xw = make([]uint64, wpr)
	}
	return m, nil
}

// MatMul implements kernels.MatMul for the matrices Prepare packed.
func (p *Provider) MatMul(out []float32, w kernels.Weight, x []float32) error {
	m, ok := w.(*matrix)
	if !ok {
		return kernels.ErrForeignWeight
	}
	n := m.cols
	xq, xs, xw := p.xq[:n], p.xs[:m.ng], p.xw[:m.words()]
	scalar.Quantize(xq, xs, x[:n], m.gs)
	m.pack(xw, 1, xq, true)
	out = out[:m.rows]
	if m.rows*m.cols < parallelMACs || p.pool.Size() == 1 {
		quadRows(out, m, xw, xs, 0, m.quads)
		return nil
	}
	p.task = task{out: out, m: m, xw: xw, xs: xs}
	p.pool.RunTask(m.quads, &p.task)
	p.task = task{}
	return nil
}

// Close implements kernels.Provider: it stops the worker pool and drops
// the buffers.
func (p *Provider) Close() error {
	p.pool.Stop()
	p.xq, p.xs, p.xw = nil, nil, nil
	return nil
}

var _ kernels.Provider = (*Provider)(nil)
