package boundary_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/retrollama/retrollama/internal/host/boundary"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/conformance"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// loopback is a boundary provider whose other side is the scalar
// reference in this process, over staging on the heap: what the core
// copies in and out is all that can differ from the reference.
type loopback struct {
	boundary.Core
	ref      *scalar.Provider
	heap     boundary.Staging
	crossing time.Duration // what Invoke reports
	failAt   int           // the call of Invoke that fails and retires (0: none)
	invoked  int
}

func newLoopback() *loopback {
	p := &loopback{ref: scalar.New()}
	p.Core = boundary.NewCore(p)
	return p
}

func (p *loopback) Name() string                             { return "loopback" }
func (p *loopback) Supports(q kernels.Query) kernels.Support { return p.ref.Supports(q) }
func (p *loopback) Close() error                             { return p.ref.Close() }

func (p *loopback) Init(s kernels.Shape) error {
	if err := p.Core.Init(s); err != nil {
		return err
	}
	return p.ref.Init(s)
}

func (p *loopback) Prepare(t kernels.Tensor) (kernels.Weight, error) {
	if err := boundary.CheckTensor(t); err != nil {
		return nil, err
	}
	w, err := p.ref.Prepare(t)
	if err != nil {
		return nil, err
	}
	return p.NewWeight(t, w), nil
}

func (p *loopback) Stage(c *boundary.Call) *boundary.Staging {
	p.heap.Fit(c)
	return &p.heap
}

func (p *loopback) Invoke(c *boundary.Call, st *boundary.Staging) (time.Duration, error) {
	p.invoked++
	if p.invoked == p.failAt {
		err := fmt.Errorf("%s: the other side failed", c.Op)
		p.Retire(fmt.Errorf("unusable after an earlier failure (%v)", err))
		return 0, p.CallError(c, err)
	}
	var err error
	switch c.Op {
	case kernels.MatMul:
		err = p.ref.MatMul(st.Out[:c.M], c.Weight.Ref, st.In[:c.N])
	case kernels.RMSNorm:
		err = p.ref.RMSNorm(st.Out[:c.N], st.In[:c.N], c.Weight.Ref)
	case kernels.RoPE:
		err = p.ref.RoPE(st.Q[:c.N], st.K[:c.M], c.Pos)
	case kernels.Attention:
		keys, values := st.Keys[:c.M], st.Values[:c.M]
		if c.InPlace {
			keys, values = c.Keys, c.Values
		}
		err = p.ref.Attention(st.Out[:c.N], st.Q[:c.N], keys, values, c.Pos)
	case kernels.SwiGLU:
		err = p.ref.SwiGLU(st.Gate[:c.N], st.Up[:c.N])
	case kernels.Softmax:
		err = p.ref.Softmax(st.Out[:c.N])
	}
	return p.crossing, err
}

func (p *loopback) CallError(c *boundary.Call, err error) error {
	if err == p.Dead() {
		return err
	}
	return fmt.Errorf("loopback: %s %s: %w", c.Op, c, err)
}

// TestConformance: the core's staging and copies change no bit of any op.
func TestConformance(t *testing.T) {
	conformance.Check(t, conformance.Run("loopback", func() kernels.Provider { return newLoopback() }, conformance.Options{Short: true}))
}

var shape = kernels.Shape{Dim: 8, HiddenDim: 16, Heads: 2, KVHeads: 1, SeqLen: 4, VocabSize: 10}

// setup is a loopback provider with a prepared 4×8 matrix and an rmsnorm
// weight of Dim, and operands of every op.
type setup struct {
	p                               *loopback
	w, norm                         kernels.Weight
	x, out, q, k, keys, values, up  []float32
	gate, soft, hidden, normOut, xn []float32
}

func newSetup(t testing.TB) *setup {
	t.Helper()
	p := newLoopback()
	if err := p.Init(shape); err != nil {
		t.Fatal(err)
	}
	s := &setup{p: p}
	ramp := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(i%5)/4 - 0.5
		}
		return v
	}
	var err error
	if s.w, err = p.Prepare(kernels.Tensor{Name: "w", DType: kernels.F32, Rows: 4, Cols: 8, F32: ramp(32)}); err != nil {
		t.Fatal(err)
	}
	if s.norm, err = p.Prepare(kernels.Tensor{Name: "norm", DType: kernels.F32, Rows: 1, Cols: 8, F32: ramp(8)}); err != nil {
		t.Fatal(err)
	}
	kv := shape.SeqLen * shape.KVDim()
	s.x, s.out, s.xn, s.normOut = ramp(8), make([]float32, 4), ramp(8), make([]float32, 8)
	s.q, s.k, s.keys, s.values = ramp(shape.Dim), ramp(shape.KVDim()), ramp(kv), ramp(kv)
	s.gate, s.up, s.soft, s.hidden = ramp(16), ramp(16), ramp(10), make([]float32, shape.Dim)
	return s
}

// opCall is one call of an op on a setup's operands.
type opCall struct {
	op   kernels.Op
	call func() error
	kept [][]float32 // operands that must be unchanged when the call fails
}

// ops are the six calls of a setup, in the order of kernels.AllOps.
func (s *setup) ops() []opCall {
	p := s.p
	return []opCall{
		{kernels.MatMul, func() error { return p.MatMul(s.out, s.w, s.x) }, nil},
		{kernels.RMSNorm, func() error { return p.RMSNorm(s.normOut, s.xn, s.norm) }, nil},
		{kernels.RoPE, func() error { return p.RoPE(s.q, s.k, 2) }, [][]float32{s.q, s.k}},
		{kernels.Attention, func() error { return p.Attention(s.hidden, s.q, s.keys, s.values, 3) }, nil},
		{kernels.SwiGLU, func() error { return p.SwiGLU(s.gate, s.up) }, [][]float32{s.gate}},
		{kernels.Softmax, func() error { return p.Softmax(s.soft) }, [][]float32{s.soft}},
	}
}

// TestRetire: a call that fails leaves its in-place operands unchanged,
// and every later call, of any op, fails at once with the error that
// retired the instance, without crossing.
func TestRetire(t *testing.T) {
	for i, op := range kernels.AllOps() {
		t.Run(string(op), func(t *testing.T) {
			s := newSetup(t)
			s.p.failAt = 1
			op := s.ops()[i]
			var before [][]float32
			for _, v := range op.kept {
				before = append(before, slices.Clone(v))
			}
			err := op.call()
			if err == nil || !strings.Contains(err.Error(), "the other side failed") {
				t.Fatalf("first call: %v", err)
			}
			for i, v := range op.kept {
				if !slices.Equal(v, before[i]) {
					t.Errorf("operand %d changed by the failed call", i)
				}
			}
			for _, later := range s.ops() {
				err := later.call()
				if err == nil || err != s.p.Dead() {
					t.Errorf("%s after the failure: %v, want %v", later.op, err, s.p.Dead())
				}
			}
			if s.p.invoked != 1 {
				t.Errorf("%d crossings, want only the failed one", s.p.invoked)
			}
		})
	}
}

// TestBadCalls: a call outside the shape of Init, or with short buffers,
// is an error in the transport's context and never crosses.
func TestBadCalls(t *testing.T) {
	s := newSetup(t)
	p := s.p
	cases := []struct {
		name string
		call func() error
		want string
	}{
		{"matmul short x", func() error { return p.MatMul(s.out, s.w, s.x[:7]) }, "loopback: matmul w 4×8 f32: x has 7 values, out 4"},
		{"rmsnorm length", func() error { return p.RMSNorm(s.normOut, s.xn[:6], s.norm) }, "loopback: rmsnorm norm n=6: weight f32 1×8, x 6 values, out 8"},
		{"rope negative position", func() error { return p.RoPE(s.q, s.k, -1) }, "loopback: rope dim 8 kv_dim 4 pos -1: outside the shape of Init"},
		{"attention past seq_len", func() error { return p.Attention(s.hidden, s.q, s.keys, s.values, shape.SeqLen) }, "loopback: attention heads 2/1 head_size 4 pos 4: outside the shape of Init"},
		{"swiglu short up", func() error { return p.SwiGLU(s.gate, s.up[:3]) }, "loopback: swiglu n=16: up has 3 values, gate 16"},
		{"foreign weight", func() error { return p.MatMul(s.out, "not a weight", s.x) }, kernels.ErrForeignWeight.Error()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
	if p.invoked != 0 {
		t.Errorf("%d bad calls crossed", p.invoked)
	}
	if err := p.MatMul(s.out, newSetup(t).w, s.x); !errors.Is(err, kernels.ErrForeignWeight) {
		t.Errorf("another provider's weight: %v", err)
	}
}

// TestBoundaryTime: the crossing a transport reports, and the copies,
// count for the op called and no other.
func TestBoundaryTime(t *testing.T) {
	s := newSetup(t)
	s.p.crossing = time.Millisecond
	for range 3 {
		if err := s.p.MatMul(s.out, s.w, s.x); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.p.BoundaryTime(kernels.MatMul); got < 3*time.Millisecond || got > time.Second {
		t.Errorf("matmul boundary time %v, want 3 ms and the copies", got)
	}
	for _, op := range append(kernels.AllOps()[1:], "nope") {
		if got := s.p.BoundaryTime(op); got != 0 {
			t.Errorf("%s boundary time %v, want 0", op, got)
		}
	}
}

// TestNoAllocations: a call through the core allocates nothing once its
// staging is sized.
func TestNoAllocations(t *testing.T) {
	s := newSetup(t)
	for _, c := range s.ops() {
		t.Run(string(c.op), func(t *testing.T) {
			var err error
			if n := testing.AllocsPerRun(20, func() { err = c.call() }); n != 0 || err != nil {
				t.Errorf("%v allocations per call (error %v), want 0", n, err)
			}
		})
	}
}
