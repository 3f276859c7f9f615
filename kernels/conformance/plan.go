package conformance

import (
	"fmt"
	"math"

	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// operand is one slice argument of an op.
type operand struct {
	name   string    // as in the Provider method's signature
	init   []float32 // contents before the call
	output bool      // written by the op and compared with the reference
}

// plan is a Call turned into the arguments of one Provider method.
type plan struct {
	operands []operand
	weight   *kernels.Tensor // the tensor to Prepare; nil for ops without
	invoke   func(p kernels.Provider, w kernels.Weight, args [][]float32) error
}

// outputs returns how many operands the op writes.
func (p plan) outputs() int {
	n := 0
	for _, o := range p.operands {
		if o.output {
			n++
		}
	}
	return n
}

// newPlan checks c's sizes against shape s and lays out its arguments.
// Output buffers that the op overwrites start filled with junk from r,
// as the engine's stale activations would be, so a provider that
// accumulates into out instead of overwriting it fails.
func newPlan(c Call, s kernels.Shape, r *rng) (plan, error) {
	junk := func(n int) []float32 { return r.uniform(n, -1000, 1000) }
	var p plan
	switch c.Op {
	case kernels.MatMul:
		if err := checkTensor(c.Weight); err != nil {
			return p, err
		}
		if len(c.X) != c.Weight.Cols {
			return p, fmt.Errorf("matmul: x has %d values for %d columns", len(c.X), c.Weight.Cols)
		}
		p.weight = &c.Weight
		p.operands = []operand{{"out", junk(c.Weight.Rows), true}, {"x", c.X, false}}
		p.invoke = func(pr kernels.Provider, w kernels.Weight, a [][]float32) error { return pr.MatMul(a[0], w, a[1]) }
	case kernels.RMSNorm:
		if err := checkTensor(c.Weight); err != nil {
			return p, err
		}
		if c.Weight.DType != kernels.F32 {
			return p, fmt.Errorf("rmsnorm: weight %q is %v, not f32", c.Weight.Name, c.Weight.DType)
		}
		if len(c.X) != len(c.Weight.F32) {
			return p, fmt.Errorf("rmsnorm: x has %d values for a weight of %d", len(c.X), len(c.Weight.F32))
		}
		p.weight = &c.Weight
		if c.InPlace {
			p.operands = []operand{{"x", c.X, true}}
			p.invoke = func(pr kernels.Provider, w kernels.Weight, a [][]float32) error { return pr.RMSNorm(a[0], a[0], w) }
		} else {
			p.operands = []operand{{"out", junk(len(c.X)), true}, {"x", c.X, false}}
			p.invoke = func(pr kernels.Provider, w kernels.Weight, a [][]float32) error { return pr.RMSNorm(a[0], a[1], w) }
		}
	case kernels.RoPE:
		if len(c.Q) != s.Dim || len(c.K) != s.KVDim() || s.HeadSize()%2 != 0 || c.Pos < 0 {
			return p, fmt.Errorf("rope: q %d, k %d values at pos %d for dim %d, kv dim %d, head size %d", len(c.Q), len(c.K), c.Pos, s.Dim, s.KVDim(), s.HeadSize())
		}
		p.operands = []operand{{"q", c.Q, true}, {"k", c.K, true}}
		p.invoke = func(pr kernels.Provider, _ kernels.Weight, a [][]float32) error { return pr.RoPE(a[0], a[1], c.Pos) }
	case kernels.Attention:
		rows := (c.Pos + 1) * s.KVDim()
		if c.Pos < 0 || c.Pos >= s.SeqLen || len(c.Q) != s.Dim || len(c.Keys) != rows || len(c.Values) != rows {
			return p, fmt.Errorf("attention: q %d, keys %d, values %d values at pos %d for dim %d, kv dim %d, seq len %d", len(c.Q), len(c.Keys), len(c.Values), c.Pos, s.Dim, s.KVDim(), s.SeqLen)
		}
		p.operands = []operand{{"out", junk(s.Dim), true}, {"q", c.Q, false},
			{"keys", cache(c.Keys, s), false}, {"values", cache(c.Values, s), false}}
		p.invoke = func(pr kernels.Provider, _ kernels.Weight, a [][]float32) error {
			return pr.Attention(a[0], a[1], a[2], a[3], c.Pos)
		}
	case kernels.SwiGLU:
		if len(c.Gate) != len(c.Up) {
			return p, fmt.Errorf("swiglu: gate has %d values, up %d", len(c.Gate), len(c.Up))
		}
		p.operands = []operand{{"gate", c.Gate, true}, {"up", c.Up, false}}
		p.invoke = func(pr kernels.Provider, _ kernels.Weight, a [][]float32) error { return pr.SwiGLU(a[0], a[1]) }
	case kernels.Softmax:
		p.operands = []operand{{"x", c.X, true}}
		p.invoke = func(pr kernels.Provider, _ kernels.Weight, a [][]float32) error { return pr.Softmax(a[0]) }
	default:
		return p, fmt.Errorf("unknown op %q", c.Op)
	}
	if c.Want != nil {
		if err := checkWant(p, c.Want); err != nil {
			return p, fmt.Errorf("%s: %w", c.Op, err)
		}
	}
	return p, nil
}

// checkTensor rejects a weight tensor whose data does not match its shape.
func checkTensor(t kernels.Tensor) error {
	if t.Rows <= 0 || t.Cols <= 0 {
		return fmt.Errorf("weight %q: %v %dx%d", t.Name, t.DType, t.Rows, t.Cols)
	}
	switch t.DType {
	case kernels.F32:
		if len(t.F32) != t.Rows*t.Cols {
			return fmt.Errorf("weight %q: %v %dx%d with %d f32 values", t.Name, t.DType, t.Rows, t.Cols, len(t.F32))
		}
	case kernels.Q8_0:
		if err := scalar.CheckQ8(t); err != nil {
			return fmt.Errorf("weight %q: %w", t.Name, err)
		}
	default:
		return fmt.Errorf("weight %q: unknown dtype %v", t.Name, t.DType)
	}
	return nil
}

// checkWant rejects recorded outputs that do not fit the plan's outputs.
func checkWant(p plan, want [][]float32) error {
	if len(want) != p.outputs() {
		return fmt.Errorf("%d recorded outputs for %d", len(want), p.outputs())
	}
	i := 0
	for _, o := range p.operands {
		if !o.output {
			continue
		}
		if len(want[i]) != len(o.init) {
			return fmt.Errorf("recorded %s has %d values for %d", o.name, len(want[i]), len(o.init))
		}
		i++
	}
	return nil
}

// cache expands rows 0..pos of a KV cache to its full SeqLen rows, the rows
// past pos holding the staleBits NaN.
func cache(valid []float32, s kernels.Shape) []float32 {
	full := make([]float32, s.SeqLen*s.KVDim())
	stale := math.Float32frombits(staleBits)
	for i := copy(full, valid); i < len(full); i++ {
		full[i] = stale
	}
	return full
}
