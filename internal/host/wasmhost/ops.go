package wasmhost

import (
	"fmt"
	"time"
	"unsafe"

	"github.com/retrollama/retrollama/internal/ropetable"
	"github.com/retrollama/retrollama/kernels"
)

// weight is the provider's handle to a tensor written into the module.
type weight struct {
	p          *Provider
	name       string
	dtype      kernels.DType
	rows, cols int
	groupSize  int
	off, soff  uint32 // values (f32 or int8) and, for Q8_0, scales
}

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
}

// floats returns the view of n float32s at byte offset off.
func (p *Provider) floats(off uint32, n int) []float32 { return p.f32[off/4 : int(off/4)+n] }

// Init implements kernels.Provider: it calls the module's rl_init and
// allocates the staging buffers of the ops the module exports, and RoPE's
// table of cosines and sines.
func (p *Provider) Init(s kernels.Shape) error {
	if s.Dim <= 0 || s.HiddenDim <= 0 || s.Heads <= 0 || s.KVHeads <= 0 || s.SeqLen <= 0 || s.VocabSize <= 0 ||
		s.Dim%s.Heads != 0 || s.Heads%s.KVHeads != 0 {
		return p.loadErr(fmt.Errorf("init: bad shape %+v", s))
	}
	p.shape = s
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
	p.o.Logger.Debug("wasm provider ready", "provider", p.o.Name, "engine", p.engine, "staging_bytes", p.stagingBytes)
	return nil
}

// Prepare implements kernels.Provider: it allocates the tensor in the
// module and writes it there, once.
func (p *Provider) Prepare(t kernels.Tensor) (kernels.Weight, error) {
	w := &weight{p: p, name: t.Name, dtype: t.DType, rows: t.Rows, cols: t.Cols, groupSize: t.GroupSize}
	n := t.Rows * t.Cols
	if t.Rows < 0 || t.Cols < 0 || n/max(t.Cols, 1) != t.Rows {
		return nil, p.loadErr(fmt.Errorf("prepare %s: bad shape %d×%d", t.Name, t.Rows, t.Cols))
	}
	if err := p.fitStaging(t.Cols, t.Rows); err != nil {
		return nil, p.loadErr(fmt.Errorf("prepare %s: %w", t.Name, err))
	}
	var err error
	switch t.DType {
	case kernels.F32:
		if len(t.F32) != n {
			return nil, p.loadErr(fmt.Errorf("prepare %s: %d values for %d×%d", t.Name, len(t.F32), t.Rows, t.Cols))
		}
		if w.off, err = p.alloc(t.Name, 4*n); err != nil {
			return nil, p.loadErr(fmt.Errorf("prepare: %w", err))
		}
		copy(p.floats(w.off, n), t.F32)
		p.weightsBytes += 4 * n
	case kernels.Q8_0:
		if t.GroupSize <= 0 || t.Cols%t.GroupSize != 0 || len(t.Q8) != n || len(t.Scales) != n/t.GroupSize {
			return nil, p.loadErr(fmt.Errorf("prepare %s: bad q8_0 tensor %d×%d, group size %d, %d values, %d scales", t.Name, t.Rows, t.Cols, t.GroupSize, len(t.Q8), len(t.Scales)))
		}
		if w.off, err = p.alloc(t.Name, n); err != nil {
			return nil, p.loadErr(fmt.Errorf("prepare: %w", err))
		}
		if w.soff, err = p.alloc(t.Name+" scales", 4*len(t.Scales)); err != nil {
			return nil, p.loadErr(fmt.Errorf("prepare: %w", err))
		}
		if n > 0 {
			copy(p.view[w.off:int(w.off)+n], unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(t.Q8))), n))
		}
		copy(p.floats(w.soff, len(t.Scales)), t.Scales)
		p.weightsBytes += n + 4*len(t.Scales)
	default:
		return nil, p.loadErr(fmt.Errorf("prepare %s: dtype %v not in the ABI", t.Name, t.DType))
	}
	return w, nil
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
	return nil
}

// opErr wraps a failed call with the module, op and shape.
func (p *Provider) opErr(op kernels.Op, shape func() string, err error) error {
	return fmt.Errorf("wasm provider %s (%s): %s %s: %w", p.o.Name, p.o.Source, op, shape(), err)
}

// run calls an op export and checks its status.
func (p *Provider) run(name string, params ...uint64) error {
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
		p.dead = fmt.Errorf("the module instance is unusable after an earlier failure (%v)", err)
		return err
	}
	return nil
}

// boundaryTime accumulates the time spent copying for op.
func (p *Provider) boundaryTime(op kernels.Op, copyIn, callStart, callEnd time.Time) {
	p.boundary[opIndex[op]] += callStart.Sub(copyIn) + time.Since(callEnd)
}

// BoundaryTime implements kernels.BoundaryTimer: the time spent copying
// activations in and out for op since Init.
func (p *Provider) BoundaryTime(op kernels.Op) time.Duration {
	i, ok := opIndex[op]
	if !ok {
		return 0
	}
	return p.boundary[i]
}

// weightOf checks a handle came from this provider.
func (p *Provider) weightOf(h kernels.Weight) (*weight, error) {
	w, ok := h.(*weight)
	if !ok || w.p != p {
		return nil, kernels.ErrForeignWeight
	}
	return w, nil
}

// MatMul implements kernels.MatMul.
func (p *Provider) MatMul(out []float32, h kernels.Weight, x []float32) error {
	w, err := p.weightOf(h)
	if err != nil {
		return err
	}
	n, d := w.cols, w.rows
	shape := func() string { return fmt.Sprintf("%s %d×%d %v", w.name, d, n, w.dtype) } // formatted only on failure: a Sprintf per call cost 4% of a 288×288 matmul
	if len(x) < n || len(out) < d || n > p.buf.inLen || d > p.buf.outLen {
		return p.opErr(kernels.MatMul, shape, fmt.Errorf("x has %d values, out %d; staging holds %d in, %d out", len(x), len(out), p.buf.inLen, p.buf.outLen))
	}
	b := &p.buf
	t0 := time.Now()
	copy(p.floats(b.in, n), x[:n])
	t1 := time.Now()
	if w.dtype == kernels.Q8_0 {
		err = p.run("rl_matmul_q8_0", uint64(b.out), uint64(b.in), uint64(w.off), uint64(w.soff), uint64(n), uint64(d), uint64(w.groupSize), uint64(b.xq), uint64(b.xs))
	} else {
		err = p.run("rl_matmul_f32", uint64(b.out), uint64(b.in), uint64(w.off), uint64(n), uint64(d))
	}
	t2 := time.Now()
	if err != nil {
		return p.opErr(kernels.MatMul, shape, err)
	}
	copy(out[:d], p.floats(b.out, d))
	p.boundaryTime(kernels.MatMul, t0, t1, t2)
	return nil
}

// RMSNorm implements kernels.RMSNorm.
func (p *Provider) RMSNorm(out, x []float32, h kernels.Weight) error {
	w, err := p.weightOf(h)
	if err != nil {
		return err
	}
	n := len(x)
	shape := func() string { return fmt.Sprintf("%s n=%d", w.name, n) }
	if w.dtype != kernels.F32 || w.rows*w.cols != n || len(out) < n || n > p.buf.inLen {
		return p.opErr(kernels.RMSNorm, shape, fmt.Errorf("weight %v %d×%d, x %d values, out %d", w.dtype, w.rows, w.cols, n, len(out)))
	}
	b := &p.buf
	t0 := time.Now()
	copy(p.floats(b.in, n), x)
	t1 := time.Now()
	err = p.run("rl_rmsnorm", uint64(b.out), uint64(b.in), uint64(w.off), uint64(n))
	t2 := time.Now()
	if err != nil {
		return p.opErr(kernels.RMSNorm, shape, err)
	}
	copy(out[:n], p.floats(b.out, n))
	p.boundaryTime(kernels.RMSNorm, t0, t1, t2)
	return nil
}

// RoPE implements kernels.RoPE; q and k are unchanged when it fails.
func (p *Provider) RoPE(q, k []float32, pos int) error {
	s, b := p.shape, &p.buf
	dim, kvDim, hs := len(q), len(k), s.HeadSize()
	shape := func() string { return fmt.Sprintf("dim %d kv_dim %d pos %d", dim, kvDim, pos) }
	if dim > s.Dim || kvDim > s.KVDim() || pos < 0 || b.cs == 0 {
		return p.opErr(kernels.RoPE, shape, fmt.Errorf("outside the shape of Init (%+v)", s))
	}
	t0 := time.Now()
	cs := b.cs + uint32(4*pos*hs)
	if pos >= s.SeqLen {
		cs = b.row
		ropetable.Row(p.floats(b.row, hs), p.freq, pos)
	}
	copy(p.floats(b.q, dim), q)
	copy(p.floats(b.k, kvDim), k)
	t1 := time.Now()
	err := p.run("rl_rope", uint64(b.q), uint64(b.k), uint64(dim), uint64(kvDim), uint64(hs), uint64(cs))
	t2 := time.Now()
	if err != nil {
		return p.opErr(kernels.RoPE, shape, err)
	}
	copy(q, p.floats(b.q, dim))
	copy(k, p.floats(b.k, kvDim))
	p.boundaryTime(kernels.RoPE, t0, t1, t2)
	return nil
}

// Attention implements kernels.Attention. Rows 0..pos of the caches are
// copied in at every call (at stories15M's 256 positions that is at most
// 590 KB per layer, a few per cent of the call).
func (p *Provider) Attention(out, q, keys, values []float32, pos int) error {
	s, b := p.shape, &p.buf
	kvDim := s.KVDim()
	shape := func() string {
		return fmt.Sprintf("heads %d/%d head_size %d pos %d", s.Heads, s.KVHeads, s.HeadSize(), pos)
	}
	rows := (pos + 1) * kvDim
	if pos < 0 || pos >= s.SeqLen || len(q) < s.Dim || len(out) < s.Dim || len(keys) < rows || len(values) < rows {
		return p.opErr(kernels.Attention, shape, fmt.Errorf("outside the shape of Init (%+v) or short buffers", s))
	}
	t0 := time.Now()
	copy(p.floats(b.q, s.Dim), q[:s.Dim])
	copy(p.floats(b.keys, rows), keys[:rows])
	copy(p.floats(b.values, rows), values[:rows])
	t1 := time.Now()
	err := p.run("rl_attention", uint64(b.out), uint64(b.q), uint64(b.keys), uint64(b.values), uint64(b.att),
		uint64(pos), uint64(s.Heads), uint64(s.KVHeads), uint64(s.HeadSize()))
	t2 := time.Now()
	if err != nil {
		return p.opErr(kernels.Attention, shape, err)
	}
	copy(out[:s.Dim], p.floats(b.out, s.Dim))
	p.boundaryTime(kernels.Attention, t0, t1, t2)
	return nil
}

// SwiGLU implements kernels.SwiGLU; gate is unchanged when it fails.
func (p *Provider) SwiGLU(gate, up []float32) error {
	n, b := len(gate), &p.buf
	shape := func() string { return fmt.Sprintf("n=%d", n) }
	if n > p.shape.HiddenDim || len(up) < n {
		return p.opErr(kernels.SwiGLU, shape, fmt.Errorf("outside the shape of Init (hidden %d) or short up (%d)", p.shape.HiddenDim, len(up)))
	}
	t0 := time.Now()
	copy(p.floats(b.gate, n), gate)
	copy(p.floats(b.up, n), up[:n])
	t1 := time.Now()
	err := p.run("rl_swiglu", uint64(b.gate), uint64(b.up), uint64(n))
	t2 := time.Now()
	if err != nil {
		return p.opErr(kernels.SwiGLU, shape, err)
	}
	copy(gate, p.floats(b.gate, n))
	p.boundaryTime(kernels.SwiGLU, t0, t1, t2)
	return nil
}

// Softmax implements kernels.Softmax; x is unchanged when it fails.
func (p *Provider) Softmax(x []float32) error {
	n, b := len(x), &p.buf
	shape := func() string { return fmt.Sprintf("n=%d", n) }
	if n > b.outLen {
		return p.opErr(kernels.Softmax, shape, fmt.Errorf("longer than the staging buffer (%d)", b.outLen))
	}
	t0 := time.Now()
	copy(p.floats(b.out, n), x)
	t1 := time.Now()
	err := p.run("rl_softmax", uint64(b.out), uint64(n))
	t2 := time.Now()
	if err != nil {
		return p.opErr(kernels.Softmax, shape, err)
	}
	copy(x, p.floats(b.out, n))
	p.boundaryTime(kernels.Softmax, t0, t1, t2)
	return nil
}
