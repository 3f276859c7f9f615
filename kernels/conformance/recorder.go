package conformance

import (
	"fmt"
	"slices"

	"github.com/retrollama/retrollama/kernels"
)

// Recorder is a Provider that runs another one (normally the scalar
// reference) and records its per-token calls, inputs and outputs, for
// Replay: real activations from a real forward pass. Inputs and outputs
// are copied; weights are kept by reference (the Tensor given to Prepare,
// resident until Close by the contract), so recording costs only
// activations. Like any provider it is used from one goroutine at a time.
type Recorder struct {
	inner    kernels.Provider
	maxCalls int
	shape    kernels.Shape
	calls    []Call
}

// recorded is the Recorder's Weight: the inner provider's handle and the
// tensor it was prepared from.
type recorded struct {
	inner  kernels.Weight
	tensor kernels.Tensor
}

// NewRecorder wraps inner, recording at most maxCalls calls (later calls
// still run, unrecorded) so that memory stays bounded; maxCalls ≤ 0 means
// no limit.
func NewRecorder(inner kernels.Provider, maxCalls int) *Recorder {
	return &Recorder{inner: inner, maxCalls: maxCalls}
}

// Calls returns the calls recorded so far, in order; their slices are
// shared with the Recorder and must not be modified. Their Weight tensors
// are the engine's own slices: keep the checkpoint open (its memory map
// alive) until the calls have been replayed.
func (r *Recorder) Calls() []Call { return slices.Clip(r.calls) }

// Shape returns the shape the Recorder was initialised with, the one to
// give Replay.
func (r *Recorder) Shape() kernels.Shape { return r.shape }

// Name implements kernels.Provider.
func (r *Recorder) Name() string { return "recorder(" + r.inner.Name() + ")" }

// Supports implements kernels.Provider by asking the inner provider.
func (r *Recorder) Supports(q kernels.Query) kernels.Support { return r.inner.Supports(q) }

// Init implements kernels.Provider.
func (r *Recorder) Init(s kernels.Shape) error {
	r.shape = s
	if err := r.inner.Init(s); err != nil {
		return fmt.Errorf("recorder: %w", err)
	}
	return nil
}

// Prepare implements kernels.Provider, keeping the tensor for the calls
// that use it.
func (r *Recorder) Prepare(t kernels.Tensor) (kernels.Weight, error) {
	w, err := r.inner.Prepare(t)
	if err != nil {
		return nil, fmt.Errorf("recorder: %w", err)
	}
	return &recorded{inner: w, tensor: t}, nil
}

// Close implements kernels.Provider.
func (r *Recorder) Close() error { return r.inner.Close() }

// MatMul implements kernels.Provider.
func (r *Recorder) MatMul(out []float32, w kernels.Weight, x []float32) error {
	h, ok := w.(*recorded)
	if !ok {
		return kernels.ErrForeignWeight
	}
	return r.record(func() Call {
		return Call{Op: kernels.MatMul, Case: fmt.Sprintf("%s %dx%d", h.tensor.Name, h.tensor.Rows, h.tensor.Cols),
			Weight: h.tensor, X: slices.Clone(x)}
	}, func() error { return r.inner.MatMul(out, h.inner, x) }, out)
}

// RMSNorm implements kernels.Provider, noting whether it runs in place.
func (r *Recorder) RMSNorm(out, x []float32, w kernels.Weight) error {
	h, ok := w.(*recorded)
	if !ok {
		return kernels.ErrForeignWeight
	}
	return r.record(func() Call {
		c := Call{Op: kernels.RMSNorm, Case: fmt.Sprintf("%s n=%d", h.tensor.Name, len(x)), Weight: h.tensor, X: slices.Clone(x),
			InPlace: len(out) > 0 && len(out) == len(x) && &out[0] == &x[0]}
		if c.InPlace {
			c.Case += " in place"
		}
		return c
	}, func() error { return r.inner.RMSNorm(out, x, h.inner) }, out)
}

// RoPE implements kernels.Provider.
func (r *Recorder) RoPE(q, k []float32, pos int) error {
	return r.record(func() Call {
		return Call{Op: kernels.RoPE, Case: fmt.Sprintf("pos=%d", pos), Q: slices.Clone(q), K: slices.Clone(k), Pos: pos}
	}, func() error { return r.inner.RoPE(q, k, pos) }, q, k)
}

// Attention implements kernels.Provider, keeping only the valid rows
// 0..pos of the caches.
func (r *Recorder) Attention(out, q, keys, values []float32, pos int) error {
	return r.record(func() Call {
		rows := min((pos+1)*r.shape.KVDim(), len(keys), len(values))
		return Call{Op: kernels.Attention, Case: fmt.Sprintf("pos=%d", pos), Q: slices.Clone(q),
			Keys: slices.Clone(keys[:rows]), Values: slices.Clone(values[:rows]), Pos: pos}
	}, func() error { return r.inner.Attention(out, q, keys, values, pos) }, out)
}

// SwiGLU implements kernels.Provider.
func (r *Recorder) SwiGLU(gate, up []float32) error {
	return r.record(func() Call {
		return Call{Op: kernels.SwiGLU, Case: fmt.Sprintf("n=%d", len(gate)), Gate: slices.Clone(gate), Up: slices.Clone(up)}
	}, func() error { return r.inner.SwiGLU(gate, up) }, gate)
}

// Softmax implements kernels.Provider.
func (r *Recorder) Softmax(x []float32) error {
	return r.record(func() Call {
		return Call{Op: kernels.Softmax, Case: fmt.Sprintf("n=%d", len(x)), X: slices.Clone(x)}
	}, func() error { return r.inner.Softmax(x) }, x)
}

// record runs one op of the inner provider. While under the limit it also
// keeps the call that capture builds (copying the inputs before run can
// change them), its label prefixed with the call's index, and copies of
// outputs after a successful run.
func (r *Recorder) record(capture func() Call, run func() error, outputs ...[]float32) error {
	keep := r.maxCalls <= 0 || len(r.calls) < r.maxCalls
	var c Call
	if keep {
		c = capture()
	}
	if err := run(); err != nil {
		return fmt.Errorf("recorder: %w", err)
	}
	if !keep {
		return nil
	}
	c.Case = fmt.Sprintf("call %d: %s", len(r.calls), c.Case)
	for _, o := range outputs {
		c.Want = append(c.Want, slices.Clone(o))
	}
	r.calls = append(r.calls, c)
	return nil
}

var _ kernels.Provider = (*Recorder)(nil)
