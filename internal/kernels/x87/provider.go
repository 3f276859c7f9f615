package x87

import (
	"fmt"

	"github.com/retrollama/retrollama/internal/ropetable"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/mathf"
)

// Provider is the x87 provider. The zero value is not ready: use New,
// then Init.
type Provider struct {
	shape kernels.Shape
	att   []float32 // one head's attention scores, SeqLen
	freq  []float32 // RoPE's frequency of each pair of a head
	cs    []float32 // RoPE's cos and sin, HeadSize per position < SeqLen
	row   []float32 // cos and sin for a position past the table
	scale float32   // sqrtf(HeadSize), attention's divisor
}

// New returns an x87 provider; Init must be called before use.
func New() *Provider { return &Provider{} }

// Usable reports whether this build and CPU run the x87 kernels: nil on
// a 386 build on a CPU with an x87 FPU, FCMOV and FUCOMI (the Pentium Pro
// and later); on other GOARCHes, an error saying the assembly is only in
// the 386 build (the provider there runs Go code as slow as scalar, for
// the tests).
func Usable() error { return usable }

// matrix is the provider's Weight for an F32 tensor: the engine's slice,
// kept as is (a Pentium II's 128 MB could not hold a copy of the weights).
type matrix struct {
	rows, cols int
	data       []float32
}

// Name implements kernels.Provider.
func (p *Provider) Name() string { return "x87" }

// Supports implements kernels.Provider: every fp32 op, on a CPU that can
// run the kernels; not the Q8_0 MatMul (integer work, for providers built
// for it) and not RoPE for an odd head size (which scalar rotates across
// heads).
func (p *Provider) Supports(q kernels.Query) kernels.Support {
	switch {
	case asm && usable != nil:
		return kernels.Support{Reason: usable.Error()}
	case q.DType != kernels.F32:
		return kernels.Support{Reason: fmt.Sprintf("%s: dtype %v not supported: x87 runs the fp32 ops", q.Op, q.DType)}
	case q.Op == kernels.RoPE && q.Model.Heads > 0 && q.Model.HeadSize()%2 != 0:
		return kernels.Support{Reason: fmt.Sprintf("rope: odd head size %d not supported", q.Model.HeadSize())}
	}
	return kernels.Support{OK: true}
}

// Init implements kernels.Provider: it allocates the attention scratch
// and computes RoPE's cosines and sines for every position below SeqLen
// (in Go, once: under GO386=softfloat that is slow, but it is Init).
func (p *Provider) Init(s kernels.Shape) error {
	if s.Heads <= 0 || s.KVHeads <= 0 || s.SeqLen <= 0 || s.Dim <= 0 ||
		s.Dim%s.Heads != 0 || s.Heads%s.KVHeads != 0 {
		return fmt.Errorf("x87: init: bad shape %+v", s)
	}
	p.shape = s
	hs := s.HeadSize()
	p.att = make([]float32, s.SeqLen)
	p.scale = mathf.Sqrt(float32(hs))
	p.freq, p.cs, p.row = nil, nil, nil
	if hs%2 == 0 {
		p.freq = ropetable.Frequencies(hs)
		p.cs = make([]float32, s.SeqLen*hs)
		for pos := range s.SeqLen {
			ropetable.Row(p.cs[pos*hs:(pos+1)*hs], p.freq, pos)
		}
		p.row = make([]float32, hs)
	}
	return nil
}

// Prepare implements kernels.Provider: F32 weights stay where they are.
func (p *Provider) Prepare(t kernels.Tensor) (kernels.Weight, error) {
	if t.DType != kernels.F32 {
		return nil, fmt.Errorf("x87: prepare %s: dtype %v not supported", t.Name, t.DType)
	}
	if t.Rows < 0 || t.Cols < 0 || len(t.F32) != t.Rows*t.Cols {
		return nil, fmt.Errorf("x87: prepare %s: %d values for %d×%d", t.Name, len(t.F32), t.Rows, t.Cols)
	}
	return &matrix{rows: t.Rows, cols: t.Cols, data: t.F32}, nil
}

// Close implements kernels.Provider.
func (p *Provider) Close() error {
	p.att, p.freq, p.cs, p.row = nil, nil, nil, nil
	return nil
}

// MatMul implements kernels.MatMul for F32 weights.
func (p *Provider) MatMul(out []float32, w kernels.Weight, x []float32) error {
	m, ok := w.(*matrix)
	if !ok {
		return kernels.ErrForeignWeight
	}
	if m.rows == 0 {
		return nil
	}
	matMul(out[:m.rows], m.data, x[:m.cols], m.cols)
	return nil
}

// RMSNorm implements kernels.RMSNorm.
func (p *Provider) RMSNorm(out, x []float32, w kernels.Weight) error {
	m, ok := w.(*matrix)
	if !ok {
		return kernels.ErrForeignWeight
	}
	if n := len(x); n > 0 {
		rmsNorm(out[:n], x, m.data[:n])
	}
	return nil
}

// RoPE implements kernels.RoPE with the table of Init; a position past
// it (not one the engine asks for) gets its row computed here, in Go.
func (p *Provider) RoPE(q, k []float32, pos int) error {
	hs := p.shape.HeadSize()
	if hs%2 != 0 {
		return fmt.Errorf("x87: rope: odd head size %d not supported", hs)
	}
	var cs []float32
	if pos >= 0 && pos < p.shape.SeqLen {
		cs = p.cs[pos*hs : (pos+1)*hs]
	} else {
		cs = p.row
		ropetable.Row(cs, p.freq, pos)
	}
	rotate(q, cs)
	rotate(k, cs)
	return nil
}

// rotate applies rope to the whole heads of v and the Go version to a
// partial one at its end (never there with the contract's Dim and KVDim).
func rotate(v, cs []float32) {
	whole := len(v) - len(v)%len(cs)
	if whole > 0 {
		rope(v[:whole], cs)
	}
	if rest := v[whole:]; len(rest) > 0 {
		genericRoPE(rest, cs[:len(rest)])
	}
}

// Attention implements kernels.Attention: per head, the scores q·k_t as
// a matrix-vector product over the key rows, divided by sqrtf(HeadSize),
// their softmax, and the weighted sum of the value rows.
func (p *Provider) Attention(out, q, keys, values []float32, pos int) error {
	s := p.shape
	hs, kvDim := s.HeadSize(), s.KVDim()
	kvMul := s.Heads / s.KVHeads
	att := p.att[:pos+1]
	span := pos*kvDim + hs // from a head's first key value to its last
	for h := range s.Heads {
		kvOff := (h / kvMul) * hs
		matMul(att, keys[kvOff:kvOff+span], q[h*hs:(h+1)*hs], kvDim)
		divide(att, p.scale)
		softmax(att)
		matMulT(out[h*hs:(h+1)*hs], att, values[kvOff:kvOff+span], kvDim)
	}
	return nil
}

// SwiGLU implements kernels.SwiGLU.
func (p *Provider) SwiGLU(gate, up []float32) error {
	swiGLU(gate, up[:len(gate)])
	return nil
}

// Softmax implements kernels.Softmax.
func (p *Provider) Softmax(x []float32) error {
	softmax(x)
	return nil
}

var _ kernels.Provider = (*Provider)(nil)
