// Package scalar is the reference kernel provider: plain loops that follow
// llama2.c's run.c (runq.c for the Q8_0 MatMul) operation for operation,
// in float32, rounding after every multiply and every add exactly as a C
// compiler does without -ffast-math.
// Every other provider is checked against it, and the engine falls back to
// it when nothing else can run an op. Keep it the clearest code in the repo;
// speed is other providers' business.
//
// It is also the template for a new provider: copy this directory's
// non-test files into your module, rename the package, make the loops
// fast, and keep the one-line conformance test (see the package
// example) passing. It imports only public packages, so the copy
// compiles outside retrollama; template_test.go builds such a copy in a
// module of its own and runs the conformance suite on it.
package scalar

import (
	"fmt"
	"math"

	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/mathf"
)

// Provider is the scalar reference. The zero value is not ready: use New.
type Provider struct {
	shape kernels.Shape
	att   []float32 // attention scores, SeqLen, reused by every head
	// cos and sin hold RoPE's rotation at the current position for each
	// offset within a head, HeadSize of each.
	cos, sin []float32
	// xq and xs hold x quantized for a Q8_0 MatMul: its int8 values and
	// one scale per group. Sized at Init for the model's widest input and
	// grown at Prepare for a wider Q8_0 matrix, never in MatMul.
	xq []int8
	xs []float32
}

// New returns a scalar provider; Init must be called before use.
func New() *Provider { return &Provider{} }

// matrix is the scalar provider's Weight for an F32 tensor: the engine's
// slice, kept as is.
type matrix struct {
	rows, cols int
	data       []float32
}

// q8Matrix is the scalar provider's Weight for a Q8_0 matrix: the engine's
// slices, kept as is.
type q8Matrix struct {
	rows, cols int
	groupSize  int
	q          []int8    // rows·cols values, row-major
	scales     []float32 // one per groupSize consecutive values of q
}

// Name implements kernels.Provider.
func (p *Provider) Name() string { return "scalar" }

// Supports implements kernels.Provider: the reference runs every fp32 op
// and the Q8_0 MatMul on every CPU.
func (p *Provider) Supports(q kernels.Query) kernels.Support {
	if q.DType == kernels.F32 || q.DType == kernels.Q8_0 && q.Op == kernels.MatMul {
		return kernels.Support{OK: true}
	}
	return kernels.Support{Reason: fmt.Sprintf("%s: dtype %v not supported", q.Op, q.DType)}
}

// Init implements kernels.Provider: it allocates the attention scratch,
// RoPE's rotation tables and the buffers of x quantized for Q8_0 matmuls,
// whose inputs are at most max(Dim, HiddenDim) wide.
func (p *Provider) Init(s kernels.Shape) error {
	if s.Heads <= 0 || s.SeqLen <= 0 {
		return fmt.Errorf("scalar: init: bad shape %+v", s)
	}
	p.shape = s
	p.att = make([]float32, s.SeqLen)
	p.cos, p.sin = make([]float32, max(s.HeadSize(), 0)), make([]float32, max(s.HeadSize(), 0))
	n := max(s.Dim, s.HiddenDim, 0)
	p.xq, p.xs = make([]int8, n), make([]float32, n)
	return nil
}

// Prepare implements kernels.Provider: weights stay where they are.
func (p *Provider) Prepare(t kernels.Tensor) (kernels.Weight, error) {
	switch t.DType {
	case kernels.F32:
		if len(t.F32) != t.Rows*t.Cols {
			return nil, fmt.Errorf("scalar: prepare %s: %d values for %d×%d", t.Name, len(t.F32), t.Rows, t.Cols)
		}
		return &matrix{rows: t.Rows, cols: t.Cols, data: t.F32}, nil
	case kernels.Q8_0:
		if err := CheckQ8(t); err != nil {
			return nil, fmt.Errorf("scalar: prepare %s: %w", t.Name, err)
		}
		if t.Cols > len(p.xq) { // wider than the model's activations
			p.xq, p.xs = make([]int8, t.Cols), make([]float32, t.Cols)
		}
		return &q8Matrix{rows: t.Rows, cols: t.Cols, groupSize: t.GroupSize, q: t.Q8, scales: t.Scales}, nil
	}
	return nil, fmt.Errorf("scalar: prepare %s: dtype %v not supported", t.Name, t.DType)
}

// CheckQ8 reports what is wrong with a Q8_0 tensor's sizes, or nil: the
// group size must be positive and divide Cols, and there must be
// Rows·Cols values and Rows·Cols/GroupSize scales.
func CheckQ8(t kernels.Tensor) error {
	switch {
	case t.Rows < 0 || t.Cols < 0:
		return fmt.Errorf("q8_0 matrix is %d×%d", t.Rows, t.Cols)
	case t.GroupSize <= 0 || t.Cols%t.GroupSize != 0:
		return fmt.Errorf("q8_0 group size %d does not divide %d columns", t.GroupSize, t.Cols)
	case len(t.Q8) != t.Rows*t.Cols:
		return fmt.Errorf("%d q8_0 values for %d×%d", len(t.Q8), t.Rows, t.Cols)
	case len(t.Scales) != t.Rows*t.Cols/t.GroupSize:
		return fmt.Errorf("%d q8_0 scales for %d×%d in groups of %d", len(t.Scales), t.Rows, t.Cols, t.GroupSize)
	}
	return nil
}

// Close implements kernels.Provider.
func (p *Provider) Close() error {
	p.att, p.cos, p.sin, p.xq, p.xs = nil, nil, nil, nil, nil
	return nil
}

// MatMul implements kernels.MatMul: out = W·x, for F32 and Q8_0 weights.
func (p *Provider) MatMul(out []float32, w kernels.Weight, x []float32) error {
	switch m := w.(type) {
	case *matrix:
		MatMulF32(out[:m.rows], m.data, x[:m.cols])
	case *q8Matrix:
		p.matMulQ8(out, m, x)
	default:
		return kernels.ErrForeignWeight
	}
	return nil
}

// MatMulF32 is run.c's matmul on plain slices: out[i] = Σ_j
// w[i·n+j]·x[j] for i < len(out), j < n = len(x), w row-major. Each
// product is rounded to float32 before it is added and the sum runs in
// order. Exported for providers whose boundary hands them slices (a WASM
// module, a plugin) and that want the reference's loop as it is.
func MatMulF32(out, w, x []float32) {
	n := len(x)
	for i := range out {
		row := w[i*n : (i+1)*n]
		var sum float32
		for j, v := range row {
			sum += float32(v * x[j]) // the conversion forbids a fused multiply-add
		}
		out[i] = sum
	}
}

// matMulQ8 is runq.c's matmul: x is quantized in groups like the weights,
// then MatMulQ8Quantized.
func (p *Provider) matMulQ8(out []float32, m *q8Matrix, x []float32) {
	n, gs := m.cols, m.groupSize
	xq, xs := p.xq[:n], p.xs[:n/gs]
	Quantize(xq, xs, x[:n], gs)
	MatMulQ8Quantized(out[:m.rows], m.q, m.scales, n, gs, xq, xs)
}

// MatMulQ8Quantized is runq.c's matmul once x is quantized (xq, xs, as
// Quantize makes them): for each of the len(out) rows of cols int8 values
// in q, each group's dot product with xq is summed exactly in int32, then
// scaled by the weight's scale and x's and added to the row's float32 sum,
// group after group. Exported for providers that quantize x their own way
// (bit-identically) and need the reference's arithmetic where their fast
// path cannot go.
func MatMulQ8Quantized(out []float32, q []int8, scales []float32, cols, groupSize int, xq []int8, xs []float32) {
	n, gs := cols, groupSize
	for i := range out {
		row := i * n
		var val float32
		for j := 0; j < n; j += gs {
			var ival int32
			for k := range gs {
				ival += int32(xq[j+k]) * int32(q[row+j+k])
			}
			ws, s := scales[(row+j)/gs], xs[j/gs]
			val += float32(float32(float32(ival)*ws) * s) // the conversions forbid fused multiply-adds
		}
		out[i] = val
	}
}

// Quantize is runq.c's quantize: it splits x into groups of groupSize
// values and stores each group's scale, max |x| / 127, in scales[g] and
// its values x / scale rounded half away from zero in q. len(q) must be at
// least len(x), len(scales) at least len(x)/groupSize, and groupSize must
// divide len(x). It is how Q8_0 MatMul quantizes its input; applied to
// weights, it is runq.c's quantization of a checkpoint (the conformance
// suite makes its Q8_0 test weights with it).
func Quantize(q []int8, scales []float32, x []float32, groupSize int) {
	for g := range len(x) / groupSize {
		group := x[g*groupSize : (g+1)*groupSize]
		var wmax float32
		for _, v := range group {
			if a := abs(v); a > wmax {
				wmax = a
			}
		}
		scale := wmax / 127
		scales[g] = scale
		for i, v := range group {
			q[g*groupSize+i] = round8(v / scale)
		}
	}
}

// round8 is C's (int8_t) round(v) as x86-64 GCC compiles it: round half
// away from zero in double, convert to int32 (cvttsd2si, which gives
// 0x80000000 for NaN and out-of-range values) and keep the low byte. So
// the 0/0 of an all-zero group gives 0, where Go leaves int8(NaN)
// undefined. |v| ≤ 127 whenever the scale is a normal number.
func round8(v float32) int8 {
	r := math.Round(float64(v))
	if !(math.Abs(r) < 1<<31) { // NaN, ±Inf, out of int32's range
		return 0
	}
	return int8(int32(r))
}

func abs(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }

// RMSNorm implements kernels.RMSNorm; its weight must be F32.
func (p *Provider) RMSNorm(out, x []float32, w kernels.Weight) error {
	m, ok := w.(*matrix)
	if !ok {
		if _, q8 := w.(*q8Matrix); q8 {
			return fmt.Errorf("scalar: rmsnorm: dtype %v not supported", kernels.Q8_0)
		}
		return kernels.ErrForeignWeight
	}
	RMSNormF32(out, x, m.data)
	return nil
}

// RMSNormF32 is run.c's rmsnorm on plain slices: out[j] = w[j]·(ss·x[j])
// with ss = 1/sqrt(Σx²/n + 1e-5), Σx² summed in float32 in order over
// n = len(x) values. out may be x. Exported for providers whose boundary
// hands them slices.
func RMSNormF32(out, x, w []float32) {
	var ss float32
	for _, v := range x {
		ss += float32(v * v)
	}
	ss /= float32(len(x))
	ss += 1e-5
	ss = 1 / sqrtf(ss)
	for j, v := range x {
		out[j] = w[j] * (ss * v)
	}
}

// RoPE implements kernels.RoPE: the rotation of each offset within a head
// at pos, as run.c computes it (glibc's powf, cosf and sinf), then
// RotatePairs.
func (p *Provider) RoPE(q, k []float32, pos int) error {
	headSize := p.shape.HeadSize()
	for d := range headSize {
		freq := 1 / powf(10000, float32(d)/float32(headSize))
		angle := float32(pos) * freq
		p.cos[d], p.sin[d] = cosf(angle), sinf(angle)
	}
	RotatePairs(q, k, p.cos, p.sin)
	return nil
}

// RotatePairs is RoPE once the rotation is known: it turns each pair
// (v[i], v[i+1]), i even, of q and of k (which may be shorter: KVDim) by
// the angle whose cosine and sine are cos[i mod h] and sin[i mod h],
// h = len(cos) the head size. Exported for providers that compute or
// cache the rotation their own way (bit-identically) and need the
// reference's roundings for the rest.
func RotatePairs(q, k, cos, sin []float32) {
	headSize := len(cos)
	for i := 0; i < len(q); i += 2 {
		d := i % headSize
		RotatePair(q, i, cos[d], sin[d])
		if i < len(k) {
			RotatePair(k, i, cos[d], sin[d])
		}
	}
}

// RotatePair turns the pair (v[i], v[i+1]) by the angle whose cosine and
// sine are given, rounding every product to float32 as run.c does (the
// conversions forbid fused multiply-adds). Exported for providers whose
// rotation tables have another layout than RotatePairs's.
func RotatePair(v []float32, i int, cos, sin float32) {
	v0, v1 := v[i], v[i+1]
	v[i] = float32(v0*cos) - float32(v1*sin)
	v[i+1] = float32(v0*sin) + float32(v1*cos)
}

// Attention implements kernels.Attention.
func (p *Provider) Attention(out, q, keys, values []float32, pos int) error {
	s := p.shape
	AttentionHeads(out, q, keys, values, p.att[:pos+1], s.Heads, s.KVHeads, s.HeadSize())
	return nil
}

// AttentionHeads is run.c's multi-head attention on plain slices, at
// position pos = len(att)-1: for each of heads query heads h (headSize
// floats of q), the scores q_h·k_t/sqrt(headSize) for t = 0..pos against
// KV head h/(heads/kvHeads) of the key rows (kvHeads·headSize floats
// each), their softmax, and the sum of the value rows weighted by them
// into out[h·headSize : (h+1)·headSize]. att is the scores' scratch,
// reused by every head. Exported for providers whose boundary hands them
// slices.
func AttentionHeads(out, q, keys, values, att []float32, heads, kvHeads, headSize int) {
	kvDim := kvHeads * headSize
	kvMul := heads / kvHeads
	scale := sqrtf(float32(headSize))
	for h := range heads {
		qh := q[h*headSize : (h+1)*headSize]
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
}

// SwiGLU implements kernels.SwiGLU.
func (p *Provider) SwiGLU(gate, up []float32) error {
	SwiGLUInPlace(gate, up)
	return nil
}

// SwiGLUInPlace is the reference SwiGLU, exported so that providers that
// do not reorder it reuse it instead of copying it.
func SwiGLUInPlace(gate, up []float32) {
	up = up[:len(gate)]
	for i, v := range gate {
		v *= 1 / (1 + expf(-v))
		gate[i] = v * up[i]
	}
}

// Softmax implements kernels.Softmax.
func (p *Provider) Softmax(x []float32) error {
	softmax(x)
	return nil
}

// SoftmaxInPlace is the reference softmax (sequential sum), exported so
// that providers needing bit-identical attention weights reuse it.
func SoftmaxInPlace(x []float32) { softmax(x) }

func softmax(x []float32) {
	sum := SoftmaxExp(x)
	for i := range x {
		x[i] /= sum
	}
}

// SoftmaxExp is the reference softmax without its last step: it sets
// x[i] = e^(x[i]-max x) (the maximum the first of equal values, a NaN
// first kept, as run.c's loop does; glibc's expf) and returns their sum,
// added in sequence. The softmax is then x[i] / sum for every i, each a
// correctly rounded division whose order does not matter, so a provider
// may do the divisions its own way (eight at a time) and stay exact.
func SoftmaxExp(x []float32) (sum float32) {
	if len(x) == 0 {
		return 0
	}
	maxVal := x[0]
	for _, v := range x[1:] {
		if v > maxVal {
			maxVal = v
		}
	}
	for i, v := range x {
		x[i] = expf(v - maxVal)
		sum += x[i]
	}
	return sum
}

// The C library's single-precision functions, bit-identical to glibc's
// (see kernels/mathf for why that matters).
func expf(x float32) float32    { return mathf.Exp(x) }
func sqrtf(x float32) float32   { return mathf.Sqrt(x) }
func powf(x, y float32) float32 { return mathf.Pow(x, y) }
func cosf(x float32) float32    { return mathf.Cos(x) }
func sinf(x float32) float32    { return mathf.Sin(x) }

var _ kernels.Provider = (*Provider)(nil)
