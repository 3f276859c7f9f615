// Package boundary is the core the kernel providers whose calls cross a
// boundary share: a WASM module's linear memory (internal/host/wasmhost)
// and a plugin process's shared memory or gRPC connection
// (internal/host/pluginhost). It implements the per-token ops of
// kernels.Provider once: it checks a call, copies the activations into
// staging buffers on the other side, has the transport run the op there,
// copies the results back, and keeps the time spent crossing per op
// (kernels.BoundaryTimer) apart from the kernel's. An instance that failed
// is retired: every later call fails at once with the error that retired
// it.
//
// A transport is what differs: where the staging buffers live and how an
// op is started there (Transport). It keeps loading, Init's sizing,
// Prepare's upload, Supports and Close.
package boundary

import (
	"fmt"
	"slices"
	"time"

	"github.com/retrollama/retrollama/kernels"
)

// Transport is the part of a boundary provider that differs between WASM
// and plugins: where operands are staged and how an op runs on them.
type Transport interface {
	// Stage returns the staging buffers call c is to use (never nil). The
	// core then checks that they hold the call, copies the inputs in,
	// calls Invoke, and copies the outputs out. A transport may set
	// c.InPlace for Attention.
	Stage(c *Call) *Staging
	// Invoke runs c on the operands staged in st and leaves its results
	// there. It returns the time of the call that was crossing, not
	// kernel (0 when the two cannot be told apart), and an error ready
	// for the caller: naming the provider, and retiring the instance
	// (Core.Retire) when it is unusable.
	Invoke(c *Call, st *Staging) (crossing time.Duration, err error)
	// CallError gives an error the core found in call c (a call outside
	// the shape, or the instance's retiring error) the transport's
	// context, as errors of Invoke have it.
	CallError(c *Call, err error) error
}

// Staging holds views of the buffers on the other side of the boundary
// that activations are copied to, each as long as its capacity. Which
// operand goes where:
//
//	MatMul, RMSNorm  x → In, Out → out
//	RoPE             q → Q, k → K, and back
//	Attention        q → Q, caches → Keys, Values (unless Call.InPlace), Out → out
//	SwiGLU           gate → Gate, up → Up, Gate → gate
//	Softmax          x → Out, and back
type Staging struct {
	In, Out      []float32
	Q, K         []float32
	Gate, Up     []float32
	Keys, Values []float32
}

// Holds reports whether the buffers are large enough for call c.
func (s *Staging) Holds(c *Call) bool {
	return s.each(c, func(b *[]float32, n int) bool { return n <= len(*b) })
}

// Fit grows the buffers, on the Go heap, to hold call c: the staging of a
// transport that sends operands as messages rather than sharing memory.
// It allocates only when a call is larger than every one before it.
func (s *Staging) Fit(c *Call) {
	s.each(c, func(b *[]float32, n int) bool {
		if len(*b) < n {
			*b = make([]float32, n)
		}
		return true
	})
}

// each calls f with every buffer call c is staged in and the floats it
// needs there, while f returns true; it returns false when f did.
func (s *Staging) each(c *Call, f func(b *[]float32, n int) bool) bool {
	switch c.Op {
	case kernels.MatMul:
		return f(&s.In, c.N) && f(&s.Out, c.M)
	case kernels.RMSNorm:
		return f(&s.In, c.N) && f(&s.Out, c.N)
	case kernels.RoPE:
		return f(&s.Q, c.N) && f(&s.K, c.M)
	case kernels.Attention:
		return f(&s.Q, c.N) && f(&s.Out, c.N) && (c.InPlace || f(&s.Keys, c.M) && f(&s.Values, c.M))
	case kernels.SwiGLU:
		return f(&s.Gate, c.N) && f(&s.Up, c.N)
	case kernels.Softmax:
		return f(&s.Out, c.N)
	}
	return false
}

// Call is one per-token op as the transport sees it. The sizes are in
// floats:
//
//	op         N                      M
//	MatMul     columns (len x)        rows (len out)
//	RMSNorm    len x                  –
//	RoPE       len q                  len k
//	Attention  Dim (len q, len out)   (Pos+1)·KVDim, the cache floats read
//	SwiGLU     len gate               –
//	Softmax    len x                  –
type Call struct {
	Op     kernels.Op
	Weight *Weight // MatMul and RMSNorm
	N, M   int
	Pos    int // RoPE and Attention
	// Keys and Values are Attention's caches as the engine passed them,
	// rows 0..Pos.
	Keys, Values []float32
	// InPlace, set by Stage, says the transport reads Keys and Values
	// where they are (in memory it shares, or sent as they are), so the
	// core does not copy them into staging.
	InPlace bool
	// Shape is the model's, from Init.
	Shape kernels.Shape
}

// String describes the call's operands for an error message, as "w 4×8
// f32" or "dim 8 kv_dim 4 pos 3".
func (c *Call) String() string {
	s := c.Shape
	switch c.Op {
	case kernels.MatMul:
		return fmt.Sprintf("%s %d×%d %v", c.Weight.Name, c.M, c.N, c.Weight.DType)
	case kernels.RMSNorm:
		return fmt.Sprintf("%s n=%d", c.Weight.Name, c.N)
	case kernels.RoPE:
		return fmt.Sprintf("dim %d kv_dim %d pos %d", c.N, c.M, c.Pos)
	case kernels.Attention:
		return fmt.Sprintf("heads %d/%d head_size %d pos %d", s.Heads, s.KVHeads, s.HeadSize(), c.Pos)
	}
	return fmt.Sprintf("n=%d", c.N)
}

// Weight is the core's handle to a prepared tensor: its shape, and where
// the transport put it.
type Weight struct {
	owner                 *Core
	Name                  string
	DType                 kernels.DType
	Rows, Cols, GroupSize int
	// Ref is the transport's: where the tensor lives on the other side.
	Ref any
}

// Core implements the per-token ops of kernels.Provider over a Transport;
// a boundary provider embeds it and adds Name, Supports, Init, Prepare
// and Close. Like every provider it is called from one goroutine at a
// time.
type Core struct {
	t        Transport
	call     Call // the call under way, reused so that a call allocates nothing
	dead     error
	boundary [6]time.Duration // per op, in the order of kernels.AllOps
}

// NewCore returns a core over t.
func NewCore(t Transport) Core { return Core{t: t} }

// Init checks the model's shape and keeps it for the calls' checks; the
// transport's Init calls it first and gives its error the provider's
// context.
func (p *Core) Init(s kernels.Shape) error {
	if s.Dim <= 0 || s.HiddenDim <= 0 || s.Heads <= 0 || s.KVHeads <= 0 || s.SeqLen <= 0 || s.VocabSize <= 0 ||
		s.Dim%s.Heads != 0 || s.Heads%s.KVHeads != 0 || s.Layers < 0 {
		return fmt.Errorf("init: bad shape %+v", s)
	}
	p.call.Shape = s
	return nil
}

// Shape returns the shape of Init.
func (p *Core) Shape() kernels.Shape { return p.call.Shape }

// Retire marks the instance unusable after a failure: every later call
// fails at once with err (the transport's CallError gives it the call's
// context). The first error retires; later ones are ignored.
func (p *Core) Retire(err error) {
	if p.dead == nil {
		p.dead = err
	}
}

// Dead returns the error that retired the instance, or nil.
func (p *Core) Dead() error { return p.dead }

// CheckTensor checks that a tensor's values match its shape and dtype
// before a transport uploads it. Other dtypes than F32 and Q8_0 pass: the
// transport says what it does not support.
func CheckTensor(t kernels.Tensor) error {
	n := t.Rows * t.Cols
	if t.Rows < 0 || t.Cols < 0 || n/max(t.Cols, 1) != t.Rows {
		return fmt.Errorf("prepare %s: bad shape %d×%d", t.Name, t.Rows, t.Cols)
	}
	switch t.DType {
	case kernels.F32:
		if len(t.F32) != n {
			return fmt.Errorf("prepare %s: %d values for %d×%d", t.Name, len(t.F32), t.Rows, t.Cols)
		}
	case kernels.Q8_0:
		if t.GroupSize <= 0 || t.Cols%t.GroupSize != 0 || len(t.Q8) != n || len(t.Scales) != n/t.GroupSize {
			return fmt.Errorf("prepare %s: bad q8_0 tensor %d×%d, group size %d, %d values, %d scales", t.Name, t.Rows, t.Cols, t.GroupSize, len(t.Q8), len(t.Scales))
		}
	}
	return nil
}

// NewWeight returns the handle of a tensor the transport has put at ref.
func (p *Core) NewWeight(t kernels.Tensor, ref any) *Weight {
	return &Weight{owner: p, Name: t.Name, DType: t.DType, Rows: t.Rows, Cols: t.Cols, GroupSize: t.GroupSize, Ref: ref}
}

// weightOf checks a handle came from this provider.
func (p *Core) weightOf(h kernels.Weight) (*Weight, error) {
	w, ok := h.(*Weight)
	if !ok || w.owner != p {
		return nil, kernels.ErrForeignWeight
	}
	return w, nil
}

// begin starts the call of op, clearing what the last call set.
func (p *Core) begin(op kernels.Op, w *Weight, n, m, pos int) *Call {
	c := &p.call
	c.Op, c.Weight, c.N, c.M, c.Pos = op, w, n, m, pos
	c.Keys, c.Values, c.InPlace = nil, nil, false
	return c
}

// badCall is the error of a call outside what Init and Prepare set up:
// an engine bug, never bad input.
func (p *Core) badCall(c *Call, format string, args ...any) error {
	return p.t.CallError(c, fmt.Errorf(format, args...))
}

// cross runs call c across the boundary: the transport stages it,
// copyIn copies the inputs into the staging, Invoke runs it, copyOut
// copies the results back. The copies and the crossing Invoke reports
// count as boundary time. A retired instance fails at once.
func (p *Core) cross(c *Call, copyIn, copyOut func(st *Staging)) error {
	if p.dead != nil {
		return p.t.CallError(c, p.dead)
	}
	t0 := time.Now()
	st := p.t.Stage(c)
	if !st.Holds(c) {
		return p.badCall(c, "outside the shape of Init (%+v): the staging buffers cannot hold it", c.Shape)
	}
	copyIn(st)
	t1 := time.Now()
	crossing, err := p.t.Invoke(c, st)
	if err != nil {
		return err
	}
	t2 := time.Now()
	copyOut(st)
	p.boundary[opIndex(c.Op)] += t1.Sub(t0) + crossing + time.Since(t2)
	return nil
}

// opIndex numbers the ops for the boundary times, in the order of
// kernels.AllOps; -1 for no op.
func opIndex(op kernels.Op) int { return slices.Index(kernels.AllOps(), op) }

// BoundaryTime implements kernels.BoundaryTimer: for op, the time calls
// spent crossing the boundary since Init (copies in and out, and what the
// transport reports of the call itself beyond the kernel's time).
func (p *Core) BoundaryTime(op kernels.Op) time.Duration {
	if i := opIndex(op); i >= 0 {
		return p.boundary[i]
	}
	return 0
}

var _ kernels.BoundaryTimer = (*Core)(nil)
