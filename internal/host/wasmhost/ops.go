package wasmhost

import (
	"fmt"
	"time"
	"unsafe"

	"github.com/retrollama/retrollama/internal/host/boundary"
	"github.com/retrollama/retrollama/internal/ropetable"
	"github.com/retrollama/retrollama/kernels"
)

// ref is where a prepared tensor lives in the module (boundary.Weight's
// Ref): its values (f32 or int8) and, for Q8_0, its scales.
type ref struct{ off, soff uint32 }

// region is one allocation, to catch an allocator that lies.
type region struct{ off, end uint64 }

// alloc calls rl_alloc and checks what it returned: inside memory,
// aligned, and overlapping nothing allocated before.
func (p *Provider) alloc(what string, size int) (uint32, error) {
	if size <= 0 {
		size = 16
	}
	if uint64(size) >= 1<<32 {
		return 0, fmt.Errorf("alloc %s: %d bytes do not fit WASM's 32-bit memory", what, size)
	}
	if err := p.call("rl_alloc", uint64(size)); err != nil {
		return 0, fmt.Errorf("rl_alloc(%d) for %s: %w", size, what, err)
	}
	off := uint32(p.stack[0])
	p.size = p.mem.Size()
	switch {
	case off == 0:
		return 0, fmt.Errorf("rl_alloc(%d) for %s returned 0: out of memory (memory_mib = %d; %d MiB in use)", size, what, p.o.MemoryMiB, p.size>>20)
	case off%16 != 0:
		return 0, fmt.Errorf("rl_alloc(%d) for %s returned %#x, not 16-byte aligned (ABI.md)", size, what, off)
	case uint64(off)+uint64(size) > uint64(p.size):
		return 0, fmt.Errorf("rl_alloc(%d) for %s returned %#x, past the end of memory (%d bytes)", size, what, off, p.size)
	}
	r := region{uint64(off), uint64(off) + uint64(size)}
	for _, q := range p.regions {
		if r.off < q.end && q.off < r.end {
			return 0, fmt.Errorf("rl_alloc(%d) for %s returned %#x, overlapping an earlier allocation [%#x, %#x)", size, what, off, q.off, q.end)
		}
	}
	p.regions = append(p.regions, r)
	p.refreshView()
	return off, nil
}

// refreshView remakes the views of memory (after it may have grown).
func (p *Provider) refreshView() {
	p.view, _ = p.mem.Read(0, p.size)
	if len(p.view) == 0 {
		p.f32 = nil
		return
	}
	p.f32 = unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(p.view))), len(p.view)/4)
	p.views()
}

// views remakes the staging views of the buffers allocated so far (a
// buffer not allocated has offset 0 and no view): after memory moved, and
// after the buffers did.
func (p *Provider) views() {
	s, b := p.Shape(), &p.buf
	view := func(off uint32, n int) []float32 {
		if off == 0 {
			return nil
		}
		return p.floats(off, n)
	}
	kv := s.SeqLen * s.KVDim()
	p.stage = boundary.Staging{
		In: view(b.in, b.inLen), Out: view(b.out, b.outLen),
		Q: view(b.q, s.Dim), K: view(b.k, s.KVDim()),
		Gate: view(b.gate, s.HiddenDim), Up: view(b.up, s.HiddenDim),
		Keys: view(b.keys, kv), Values: view(b.values, kv),
	}
}

// floats returns the view of n float32s at byte offset off.
func (p *Provider) floats(off uint32, n int) []float32 { return p.f32[off/4 : int(off/4)+n] }

// Init implements kernels.Provider: it calls the module's rl_init and
// allocates the staging buffers of the ops the module exports, and RoPE's
// table of cosines and sines.
func (p *Provider) Init(s kernels.Shape) error {
	if err := p.Core.Init(s); err != nil {
		return p.loadErr(err)
	}
	if p.fns["rl_init"] != nil {
		if err := p.call("rl_init", uint64(s.Dim), uint64(s.HiddenDim), uint64(s.Heads), uint64(s.KVHeads), uint64(s.SeqLen), uint64(s.VocabSize)); err != nil {
			return p.loadErr(fmt.Errorf("rl_init: %w", err))
		}
		if r := int32(p.stack[0]); r != 0 {
			return p.loadErr(fmt.Errorf("rl_init%+v returned %d: the module refuses this model", s, r))
		}
	}
	hs, kvDim := s.HeadSize(), s.KVDim()
	in := max(s.Dim, s.HiddenDim)
	out := max(in, s.VocabSize)
	b := &p.buf
	b.inLen, b.outLen = in, out
	type want struct {
		dst   *uint32
		what  string
		bytes int
		need  bool
	}
	has := func(names ...string) bool {
		for _, n := range names {
			if p.fns[n] != nil {
				return true
			}
		}
		return false
	}
	ropeTable := has("rl_rope") && hs%2 == 0
	for _, w := range []want{
		{&b.in, "input staging", 4 * in, true},
		{&b.out, "output staging", 4 * out, true},
		{&b.xq, "q8_0 input quantization", in, has("rl_matmul_q8_0")},
		{&b.xs, "q8_0 input scales", 4 * in, has("rl_matmul_q8_0")},
		{&b.q, "query staging", 4 * s.Dim, has("rl_rope", "rl_attention")},
		{&b.k, "key staging", 4 * kvDim, has("rl_rope")},
		{&b.gate, "gate staging", 4 * s.HiddenDim, has("rl_swiglu")},
		{&b.up, "up staging", 4 * s.HiddenDim, has("rl_swiglu")},
		{&b.keys, "key cache", 4 * s.SeqLen * kvDim, has("rl_attention")},
		{&b.values, "value cache", 4 * s.SeqLen * kvDim, has("rl_attention")},
		{&b.att, "attention scores", 4 * s.SeqLen, has("rl_attention")},
		{&b.cs, "rope table", 4 * s.SeqLen * hs, ropeTable},
		{&b.row, "rope row", 4 * hs, ropeTable},
	} {
		if !w.need {
			continue
		}
		off, err := p.alloc(w.what, w.bytes)
		if err != nil {
			return p.loadErr(fmt.Errorf("init: %w", err))
		}
		*w.dst = off
		p.stagingBytes += w.bytes
	}
	if ropeTable {
		copy(p.floats(b.cs, s.SeqLen*hs), ropetable.Table(hs, s.SeqLen))
		p.freq = ropetable.Frequencies(hs)
	}
	p.views()
	p.o.Logger.Debug("wasm provider ready", "provider", p.o.Name, "engine", p.engine, "staging_bytes", p.stagingBytes)
	return nil
}

// Prepare implements kernels.Provider: it allocates the tensor in the
// module and writes it there, once.
func (p *Provider) Prepare(t kernels.Tensor) (kernels.Weight, error) {
	if err := boundary.CheckTensor(t); err != nil {
		return nil, p.loadErr(err)
	}
	if err := p.fitStaging(t.Cols, t.Rows); err != nil {
		return nil, p.loadErr(fmt.Errorf("prepare %s: %w", t.Name, err))
	}
	var r ref
	var err error
	n := t.Rows * t.Cols
	switch t.DType {
	case kernels.F32:
		if r.off, err = p.alloc(t.Name, 4*n); err != nil {
			return nil, p.loadErr(fmt.Errorf("prepare: %w", err))
		}
		copy(p.floats(r.off, n), t.F32)
		p.weightsBytes += 4 * n
	case kernels.Q8_0:
		if r.off, err = p.alloc(t.Name, n); err != nil {
			return nil, p.loadErr(fmt.Errorf("prepare: %w", err))
		}
		if r.soff, err = p.alloc(t.Name+" scales", 4*len(t.Scales)); err != nil {
			return nil, p.loadErr(fmt.Errorf("prepare: %w", err))
		}
		if n > 0 {
			copy(p.view[r.off:int(r.off)+n], unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(t.Q8))), n))
		}
		copy(p.floats(r.soff, len(t.Scales)), t.Scales)
		p.weightsBytes += n + 4*len(t.Scales)
	default:
		return nil, p.loadErr(fmt.Errorf("prepare %s: dtype %v not in the ABI", t.Name, t.DType))
	}
	return p.NewWeight(t, r), nil
}

// fitStaging makes the input and output staging buffers hold at least in
// and out floats: a matrix may be wider or taller than the model's
// widths (the conformance suite's 1×37 and 37×1 cases are).
func (p *Provider) fitStaging(in, out int) error {
	b := &p.buf
	var err error
	if in > b.inLen {
		if b.in, err = p.alloc("input staging", 4*in); err != nil {
			return err
		}
		if p.fns["rl_matmul_q8_0"] != nil {
			if b.xq, err = p.alloc("q8_0 input quantization", in); err != nil {
				return err
			}
			if b.xs, err = p.alloc("q8_0 input scales", 4*in); err != nil {
				return err
			}
		}
		b.inLen = in
	}
	if out > b.outLen {
		if b.out, err = p.alloc("output staging", 4*out); err != nil {
			return err
		}
		b.outLen = out
	}
	p.views()
	return nil
}

// opErr wraps a failed call with the module, op and shape.
func (p *Provider) opErr(c *boundary.Call, err error) error {
	return fmt.Errorf("wasm provider %s (%s): %s %s: %w", p.o.Name, p.o.Source, c.Op, c, err) // c formatted only on failure, never per call
}

// CallError implements boundary.Transport.
func (p *Provider) CallError(c *boundary.Call, err error) error { return p.opErr(c, err) }

// Stage implements boundary.Transport: operands are staged in the
// buffers Init allocated in the module's memory. For RoPE it picks the
// call's row of the cosine and sine table, computing it past the table.
func (p *Provider) Stage(c *boundary.Call) *boundary.Staging {
	switch c.Op {
	case kernels.RMSNorm:
		if c.Weight.DType != kernels.F32 { // rl_rmsnorm reads f32 (Supports declines the rest)
			return &p.none
		}
	case kernels.RoPE:
		s, b := p.Shape(), &p.buf
		if b.cs == 0 {
			return &p.none
		}
		hs := s.HeadSize()
		p.cs = b.cs + uint32(4*c.Pos*hs)
		if c.Pos >= s.SeqLen {
			p.cs = b.row
			ropetable.Row(p.floats(b.row, hs), p.freq, c.Pos)
		}
	}
	return &p.stage
}

// Invoke implements boundary.Transport: one call of the op's export on
// the staged operands. Host and module share the thread, so all of it
// counts as the kernel's.
func (p *Provider) Invoke(c *boundary.Call, _ *boundary.Staging) (time.Duration, error) {
	b, s := &p.buf, c.Shape
	var err error
	switch c.Op {
	case kernels.MatMul:
		w := c.Weight.Ref.(ref)
		if c.Weight.DType == kernels.Q8_0 {
			err = p.callOp("rl_matmul_q8_0", uint64(b.out), uint64(b.in), uint64(w.off), uint64(w.soff), uint64(c.N), uint64(c.M), uint64(c.Weight.GroupSize), uint64(b.xq), uint64(b.xs))
		} else {
			err = p.callOp("rl_matmul_f32", uint64(b.out), uint64(b.in), uint64(w.off), uint64(c.N), uint64(c.M))
		}
	case kernels.RMSNorm:
		err = p.callOp("rl_rmsnorm", uint64(b.out), uint64(b.in), uint64(c.Weight.Ref.(ref).off), uint64(c.N))
	case kernels.RoPE:
		err = p.callOp("rl_rope", uint64(b.q), uint64(b.k), uint64(c.N), uint64(c.M), uint64(s.HeadSize()), uint64(p.cs))
	case kernels.Attention:
		err = p.callOp("rl_attention", uint64(b.out), uint64(b.q), uint64(b.keys), uint64(b.values), uint64(b.att),
			uint64(c.Pos), uint64(s.Heads), uint64(s.KVHeads), uint64(s.HeadSize()))
	case kernels.SwiGLU:
		err = p.callOp("rl_swiglu", uint64(b.gate), uint64(b.up), uint64(c.N))
	case kernels.Softmax:
		err = p.callOp("rl_softmax", uint64(b.out), uint64(c.N))
	default:
		err = fmt.Errorf("op %s not in the ABI", c.Op)
	}
	if err != nil {
		return 0, p.opErr(c, err)
	}
	return 0, nil
}

// callOp calls an op export and checks its status.
func (p *Provider) callOp(name string, params ...uint64) error {
	if err := p.call(name, params...); err != nil {
		return err
	}
	if r := int32(p.stack[0]); r != 0 {
		return fmt.Errorf("%s returned error code %d", name, r)
	}
	if p.mem.Size() != p.size {
		// The views of memory now point at the buffer wazero replaced:
		// using them would read stale results, so the instance is done.
		err := fmt.Errorf("grew memory from %d to %d bytes during %s (ABI.md: memory is sized at load and must not grow)", p.size, p.mem.Size(), name)
		p.Retire(fmt.Errorf("the module instance is unusable after an earlier failure (%v)", err))
		return err
	}
	return nil
}
