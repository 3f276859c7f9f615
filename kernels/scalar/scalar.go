// Package scalar is the reference kernel provider: plain loops that follow
// llama2.c's run.c operation for operation, in float32, rounding after every
// multiply and every add exactly as a C compiler does without -ffast-math.
// Every other provider is checked against it, and the engine falls back to
// it when nothing else can run an op. Keep it the clearest code in the repo;
// speed is other providers' business.
package scalar

import (
	"fmt"

	"github.com/retrollama/retrollama/internal/mathf"
	"github.com/retrollama/retrollama/kernels"
)

// Provider is the scalar reference. The zero value is not ready: use New.
type Provider struct {
	shape kernels.Shape
	att   []float32 // attention scores, Heads × SeqLen
}

// New returns a scalar provider; Init must be called before use.
func New() *Provider { return &Provider{} }

// matrix is the scalar provider's Weight: the engine's slice, kept as is.
type matrix struct {
	rows, cols int
	data       []float32
}

// Name implements kernels.Provider.
func (p *Provider) Name() string { return "scalar" }

// Supports implements kernels.Provider: the reference runs every fp32 op
// on every CPU, with the lowest score so anything faster is preferred.
func (p *Provider) Supports(q kernels.Query) kernels.Support {
	if q.DType != kernels.F32 {
		return kernels.Support{Reason: fmt.Sprintf("dtype %v not supported", q.DType)}
	}
	return kernels.Support{OK: true, Score: 0}
}

// Init implements kernels.Provider: it allocates the attention scratch.
func (p *Provider) Init(s kernels.Shape) error {
	if s.Heads <= 0 || s.SeqLen <= 0 {
		return fmt.Errorf("scalar: init: bad shape %+v", s)
	}
	p.shape = s
	p.att = make([]float32, s.Heads*s.SeqLen)
	return nil
}

// Prepare implements kernels.Provider: weights stay where they are.
func (p *Provider) Prepare(t kernels.Tensor) (kernels.Weight, error) {
	if t.DType != kernels.F32 {
		return nil, fmt.Errorf("scalar: prepare %s: dtype %v not supported", t.Name, t.DType)
	}
	if len(t.F32) != t.Rows*t.Cols {
		return nil, fmt.Errorf("scalar: prepare %s: %d values for %d×%d", t.Name, len(t.F32), t.Rows, t.Cols)
	}
	return &matrix{rows: t.Rows, cols: t.Cols, data: t.F32}, nil
}

// Close implements kernels.Provider.
func (p *Provider) Close() error { p.att = nil; return nil }

// MatMul implements kernels.MatMul: out = W·x.
func (p *Provider) MatMul(out []float32, w kernels.Weight, x []float32) error {
	m, ok := w.(*matrix)
	if !ok {
		return kernels.ErrForeignWeight
	}
	n := m.cols
	for i := range m.rows {
		row := m.data[i*n : (i+1)*n]
		var sum float32
		for j, v := range row {
			sum += float32(v * x[j]) // the conversion forbids a fused multiply-add
		}
		out[i] = sum
	}
	return nil
}

// RMSNorm implements kernels.RMSNorm.
func (p *Provider) RMSNorm(out, x []float32, w kernels.Weight) error {
	m, ok := w.(*matrix)
	if !ok {
		return kernels.ErrForeignWeight
	}
	var ss float32
	for _, v := range x {
		ss += float32(v * v)
	}
	ss /= float32(len(x))
	ss += 1e-5
	ss = 1 / sqrtf(ss)
	for j, v := range x {
		out[j] = m.data[j] * (ss * v)
	}
	return nil
}

// RoPE implements kernels.RoPE.
func (p *Provider) RoPE(q, k []float32, pos int) error {
	headSize := p.shape.HeadSize()
	for i := 0; i < len(q); i += 2 {
		headDim := i % headSize
		freq := 1 / powf(10000, float32(headDim)/float32(headSize))
		angle := float32(pos) * freq
		cos, sin := cosf(angle), sinf(angle)
		rotate(q, i, cos, sin)
		if i < len(k) {
			rotate(k, i, cos, sin)
		}
	}
	return nil
}

// rotate turns the pair (v[i], v[i+1]) by the angle whose cosine and sine
// are given.
func rotate(v []float32, i int, cos, sin float32) {
	v0, v1 := v[i], v[i+1]
	v[i] = float32(v0*cos) - float32(v1*sin)
	v[i+1] = float32(v0*sin) + float32(v1*cos)
}

// Attention implements kernels.Attention.
func (p *Provider) Attention(out, q, keys, values []float32, pos int) error {
	s := p.shape
	headSize, kvDim := s.HeadSize(), s.KVDim()
	kvMul := s.Heads / s.KVHeads
	scale := sqrtf(float32(headSize))
	for h := range s.Heads {
		qh := q[h*headSize : (h+1)*headSize]
		att := p.att[h*s.SeqLen : h*s.SeqLen+pos+1]
		kvOff := (h / kvMul) * headSize
		for t := range att {
			k := keys[t*kvDim+kvOff : t*kvDim+kvOff+headSize]
			var score float32
			for i := range qh {
				score += float32(qh[i] * k[i])
			}
			att[t] = score / scale
		}
		softmax(att)
		xb := out[h*headSize : (h+1)*headSize]
		clear(xb)
		for t, a := range att {
			v := values[t*kvDim+kvOff : t*kvDim+kvOff+headSize]
			for i := range xb {
				xb[i] += float32(a * v[i])
			}
		}
	}
	return nil
}

// SwiGLU implements kernels.SwiGLU.
func (p *Provider) SwiGLU(gate, up []float32) error {
	for i, v := range gate {
		v *= 1 / (1 + expf(-v))
		gate[i] = v * up[i]
	}
	return nil
}

// Softmax implements kernels.Softmax.
func (p *Provider) Softmax(x []float32) error {
	softmax(x)
	return nil
}

func softmax(x []float32) {
	if len(x) == 0 {
		return
	}
	maxVal := x[0]
	for _, v := range x[1:] {
		if v > maxVal {
			maxVal = v
		}
	}
	var sum float32
	for i, v := range x {
		x[i] = expf(v - maxVal)
		sum += x[i]
	}
	for i := range x {
		x[i] /= sum
	}
}

// The C library's single-precision functions, bit-identical to glibc's
// (see internal/mathf for why that matters).
func expf(x float32) float32    { return mathf.Exp(x) }
func sqrtf(x float32) float32   { return mathf.Sqrt(x) }
func powf(x, y float32) float32 { return mathf.Pow(x, y) }
func cosf(x float32) float32    { return mathf.Cos(x) }
func sinf(x float32) float32    { return mathf.Sin(x) }

var _ kernels.Provider = (*Provider)(nil)
