// Package dispatch routes each op of the kernel contract to the provider a
// profile chose for it, so that the model code calls ops without knowing who
// runs them. A Table remembers the first failure of any call (like
// bufio.Scanner) so the forward pass reads op by op, as run.c does, and
// checks for an error once at its end.
package dispatch

import (
	"errors"
	"fmt"

	"github.com/retrollama/retrollama/kernels"
)

// Table is the op → provider routing for one model, plus the sticky error.
type Table struct {
	matmul, rmsnorm, rope, attention, swiglu, softmax kernels.Provider

	distinct []kernels.Provider // each provider once, for Init and Close
	err      error
}

// New builds a Table from an op → provider map that names every op of the
// contract, and initialises each distinct provider once for shape.
func New(routes map[kernels.Op]kernels.Provider, shape kernels.Shape) (*Table, error) {
	t := &Table{}
	slots := map[kernels.Op]*kernels.Provider{
		kernels.MatMul: &t.matmul, kernels.RMSNorm: &t.rmsnorm, kernels.RoPE: &t.rope,
		kernels.Attention: &t.attention, kernels.SwiGLU: &t.swiglu, kernels.Softmax: &t.softmax,
	}
	for _, op := range kernels.AllOps() {
		p := routes[op]
		if p == nil {
			return nil, fmt.Errorf("dispatch: no provider for op %s", op)
		}
		*slots[op] = p
		seen := false
		for _, q := range t.distinct {
			seen = seen || q == p
		}
		if !seen {
			t.distinct = append(t.distinct, p)
		}
	}
	for _, p := range t.distinct {
		if err := p.Init(shape); err != nil {
			t.Close()
			return nil, fmt.Errorf("dispatch: init %s: %w", p.Name(), err)
		}
	}
	return t, nil
}

// Uniform routes every op to one provider.
func Uniform(p kernels.Provider, shape kernels.Shape) (*Table, error) {
	routes := map[kernels.Op]kernels.Provider{}
	for _, op := range kernels.AllOps() {
		routes[op] = p
	}
	return New(routes, shape)
}

// Provider returns the provider that runs op.
func (t *Table) Provider(op kernels.Op) kernels.Provider {
	switch op {
	case kernels.MatMul:
		return t.matmul
	case kernels.RMSNorm:
		return t.rmsnorm
	case kernels.RoPE:
		return t.rope
	case kernels.Attention:
		return t.attention
	case kernels.SwiGLU:
		return t.swiglu
	case kernels.Softmax:
		return t.softmax
	}
	return nil
}

// PrepareMatrix makes a rows×cols matrix resident in the matmul provider.
func (t *Table) PrepareMatrix(name string, rows, cols int, data []float32) (kernels.Weight, error) {
	return prepare(t.matmul, kernels.Tensor{Name: name, DType: kernels.F32, Rows: rows, Cols: cols, F32: data})
}

// PrepareVector makes a normalisation weight vector resident in the rmsnorm
// provider.
func (t *Table) PrepareVector(name string, data []float32) (kernels.Weight, error) {
	return prepare(t.rmsnorm, kernels.Tensor{Name: name, DType: kernels.F32, Rows: 1, Cols: len(data), F32: data})
}

func prepare(p kernels.Provider, tensor kernels.Tensor) (kernels.Weight, error) {
	w, err := p.Prepare(tensor)
	if err != nil {
		return nil, fmt.Errorf("prepare %s on %s: %w", tensor.Name, p.Name(), err)
	}
	return w, nil
}

// Err returns the first error any op returned, or nil.
func (t *Table) Err() error { return t.err }

func (t *Table) fail(op kernels.Op, p kernels.Provider, err error) {
	if err != nil && t.err == nil {
		t.err = fmt.Errorf("%s on provider %s: %w", op, p.Name(), err)
	}
}

// MatMul runs kernels.MatMul unless an earlier op failed.
func (t *Table) MatMul(out []float32, w kernels.Weight, x []float32) {
	if t.err == nil {
		t.fail(kernels.MatMul, t.matmul, t.matmul.MatMul(out, w, x))
	}
}

// RMSNorm runs kernels.RMSNorm unless an earlier op failed.
func (t *Table) RMSNorm(out, x []float32, w kernels.Weight) {
	if t.err == nil {
		t.fail(kernels.RMSNorm, t.rmsnorm, t.rmsnorm.RMSNorm(out, x, w))
	}
}

// RoPE runs kernels.RoPE unless an earlier op failed.
func (t *Table) RoPE(q, k []float32, pos int) {
	if t.err == nil {
		t.fail(kernels.RoPE, t.rope, t.rope.RoPE(q, k, pos))
	}
}

// Attention runs kernels.Attention unless an earlier op failed.
func (t *Table) Attention(out, q, keys, values []float32, pos int) {
	if t.err == nil {
		t.fail(kernels.Attention, t.attention, t.attention.Attention(out, q, keys, values, pos))
	}
}

// SwiGLU runs kernels.SwiGLU unless an earlier op failed.
func (t *Table) SwiGLU(gate, up []float32) {
	if t.err == nil {
		t.fail(kernels.SwiGLU, t.swiglu, t.swiglu.SwiGLU(gate, up))
	}
}

// Softmax runs kernels.Softmax and returns its error directly; the sampler
// calls it outside the forward pass.
func (t *Table) Softmax(x []float32) error {
	if err := t.softmax.Softmax(x); err != nil {
		return fmt.Errorf("%s on provider %s: %w", kernels.Softmax, t.softmax.Name(), err)
	}
	return nil
}

// Close closes every provider once and returns their errors joined.
func (t *Table) Close() error {
	var errs []error
	for _, p := range t.distinct {
		if err := p.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close %s: %w", p.Name(), err))
		}
	}
	t.distinct = nil
	return errors.Join(errs...)
}
