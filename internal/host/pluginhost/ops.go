package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
	"unsafe"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/retrollama/retrollama/internal/shmring"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/plugins/kernelplugin/protocol"
	"github.com/retrollama/retrollama/plugins/proto/kernelpb"
)

// weight is the host's handle to a tensor prepared in the plugin.
type weight struct {
	p          *Provider
	id         uint32
	name       string
	rows, cols int
}

// Init implements kernels.Provider: on the shm transport it sizes and maps
// the shared region (staging for every operand and room for the model's KV
// caches), then initialises the plugin's provider.
func (p *Provider) Init(s kernels.Shape) error {
	if p.dead != nil {
		return p.dead
	}
	if s.Dim <= 0 || s.HiddenDim <= 0 || s.Heads <= 0 || s.KVHeads <= 0 || s.SeqLen <= 0 || s.VocabSize <= 0 ||
		s.Dim%s.Heads != 0 || s.Heads%s.KVHeads != 0 || s.Layers < 0 {
		return p.errorf("init: bad shape %+v", s)
	}
	p.shape = s
	var size uint64
	if p.transport == TransportShm {
		var err error
		if size, err = p.layout(s); err != nil {
			return p.errorf("init: %w", err)
		}
		if err := p.dataFile.Truncate(int64(size)); err != nil {
			return p.errorf("init: size the shared region: %w", err)
		}
		mem, err := shmring.Map(p.dataFile, 0, int(size), true)
		if err != nil {
			return p.errorf("init: %w", err)
		}
		if p.region, err = shmring.New(mem, true); err != nil {
			return p.errorf("init: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.o.StartTimeout)
	defer cancel()
	if _, err := p.kc.Init(ctx, &kernelpb.InitRequest{Shape: protocol.ToShape(s), DataSize: size}); err != nil {
		return p.control("init", err)
	}
	return nil
}

// layout places the staging buffers and the KV cache area in the region
// and returns its size.
func (p *Provider) layout(s kernels.Shape) (uint64, error) {
	in := max(s.Dim, s.HiddenDim)
	out := max(in, s.VocabSize)
	kv := s.SeqLen * s.KVDim()
	off := uint64(shmring.DataOffset)
	place := func(floats int) uint64 {
		at := off
		off += (4*uint64(floats) + 63) &^ 63
		return at
	}
	b := &p.buf
	b.inLen, b.outLen, b.cacheLen = in, out, kv
	b.in, b.out = place(in), place(out)
	b.q, b.k = place(s.Dim), place(s.KVDim())
	b.gate, b.up = place(s.HiddenDim), place(s.HiddenDim)
	b.keys, b.values = place(kv), place(kv)
	p.cacheNext = off
	place(2 * s.Layers * kv)
	p.cacheEnd = off
	if off > 1<<40 {
		return 0, fmt.Errorf("shared region of %d bytes for shape %+v", off, s)
	}
	return off, nil
}

// AllocCache implements kernels.CacheAllocator: KV cache memory inside the
// shared region, so Attention passes it without copying. It stays valid
// until Close.
func (p *Provider) AllocCache(n int) []float32 {
	if p.region == nil || n <= 0 {
		return nil
	}
	size := (4*uint64(n) + 63) &^ 63
	if p.cacheNext+size > p.cacheEnd {
		return nil
	}
	f := p.region.Floats(p.cacheNext, n)
	p.cacheNext += size
	return f
}

// control wraps a failed control call; a dead plugin makes the provider
// unusable.
func (p *Provider) control(what string, err error) error {
	if status.Code(err) == codes.Unavailable || p.exited() != nil {
		return p.fail(fmt.Errorf("%s: the plugin process exited or closed its connection (%w)", what, err))
	}
	if errors.Is(err, context.DeadlineExceeded) || status.Code(err) == codes.DeadlineExceeded {
		return p.fail(fmt.Errorf("%s: no answer within start_timeout %s; the plugin was killed", what, p.o.StartTimeout))
	}
	return p.errorf("%s: %w", what, err)
}

// Prepare implements kernels.Provider: on the shm transport the tensor is
// written once into the weight arena, at page-aligned offsets the plugin
// maps read-only; on grpc it travels in the request.
func (p *Provider) Prepare(t kernels.Tensor) (kernels.Weight, error) {
	if p.dead != nil {
		return nil, p.dead
	}
	n := t.Rows * t.Cols
	if t.Rows < 0 || t.Cols < 0 || (t.Cols > 0 && n/t.Cols != t.Rows) {
		return nil, p.errorf("prepare %s: bad shape %d×%d", t.Name, t.Rows, t.Cols)
	}
	r := &kernelpb.PrepareRequest{Name: t.Name, Dtype: uint32(t.DType), Rows: uint32(t.Rows), Cols: uint32(t.Cols), GroupSize: uint32(max(0, t.GroupSize))}
	var values, scales []byte
	switch t.DType {
	case kernels.F32:
		if len(t.F32) != n {
			return nil, p.errorf("prepare %s: %d values for %d×%d", t.Name, len(t.F32), t.Rows, t.Cols)
		}
		values = bytesOf(t.F32)
	case kernels.Q8_0:
		if t.GroupSize <= 0 || t.Cols%t.GroupSize != 0 || len(t.Q8) != n || len(t.Scales) != n/t.GroupSize {
			return nil, p.errorf("prepare %s: bad q8_0 tensor %d×%d, group size %d, %d values, %d scales", t.Name, t.Rows, t.Cols, t.GroupSize, len(t.Q8), len(t.Scales))
		}
		values = unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(t.Q8))), len(t.Q8))
		scales = bytesOf(t.Scales)
	default:
		return nil, p.errorf("prepare %s: dtype %v", t.Name, t.DType)
	}
	if p.transport == TransportShm {
		var err error
		if r.Offset, r.Length, err = p.toArena(values); err != nil {
			return nil, p.errorf("prepare %s: %w", t.Name, err)
		}
		if r.ScalesOffset, r.ScalesLength, err = p.toArena(scales); err != nil {
			return nil, p.errorf("prepare %s: %w", t.Name, err)
		}
	} else {
		r.Values, r.Scales = values, scales
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.o.StartTimeout)
	defer cancel()
	resp, err := p.kc.Prepare(ctx, r)
	if err != nil {
		return nil, p.control("prepare "+t.Name, err)
	}
	return &weight{p: p, id: resp.GetWeight(), name: t.Name, rows: t.Rows, cols: t.Cols}, nil
}

// toArena appends b to the weight arena at the next page boundary.
func (p *Provider) toArena(b []byte) (off, length uint64, err error) {
	if len(b) == 0 {
		return 0, 0, nil
	}
	page := int64(os.Getpagesize())
	at := (p.arenaEnd + page - 1) / page * page
	if _, err := p.arenaFile.WriteAt(b, at); err != nil {
		return 0, 0, fmt.Errorf("write the weight arena: %w", err)
	}
	p.arenaEnd = at + int64(len(b))
	return uint64(at), uint64(len(b)), nil
}

// bytesOf views float32s as bytes.
func bytesOf(f []float32) []byte {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(f))), 4*len(f))
}

// weightOf checks a handle came from this provider.
func (p *Provider) weightOf(h kernels.Weight) (*weight, error) {
	w, ok := h.(*weight)
	if !ok || w.p != p {
		return nil, kernels.ErrForeignWeight
	}
	return w, nil
}

// slot claims the next ring slot and clears it.
func (p *Provider) slot(op uint32) (*shmring.Slot, uint32) {
	p.seq++
	sl := p.region.Slot(p.seq)
	*sl = shmring.Slot{Op: op}
	return sl, p.seq
}

// roundTrip submits the request in slot seq, waits for its completion and
// checks it: a dead, hung or lying plugin is killed and made unusable; an
// error the plugin's provider returned is passed on.
func (p *Provider) roundTrip(op kernels.Op, sl *shmring.Slot, seq uint32, want int, t0 time.Time) error {
	w := shmring.Wait{Spin: shmring.Spin, Poll: 2 * time.Millisecond, Check: p.exited}
	if p.o.CallTimeout > 0 {
		w.Deadline = time.Now().Add(p.o.CallTimeout)
	}
	p.region.Submit(seq)
	if err := p.region.WaitCompleted(seq, w); err != nil {
		if errors.Is(err, shmring.ErrTimeout) {
			return p.fail(fmt.Errorf("%s: no answer within call_timeout %s; the plugin was killed", op, p.o.CallTimeout))
		}
		return p.fail(fmt.Errorf("%s: %w", op, err))
	}
	if sl.Status != 0 {
		return p.errorf("%s: %s", op, sl.ErrText())
	}
	if int(sl.OutLen) != want {
		return p.fail(fmt.Errorf("%s: the plugin answered with %d values where the op has %d; a plugin that breaks the protocol is not used again", op, sl.OutLen, want))
	}
	p.boundary[opIndex(op)] += time.Since(t0) - time.Duration(sl.Nanos)
	return nil
}

// grpcCall runs an op as a gRPC call (the grpc transport, or an operand
// too large for the shm staging buffers) and checks the answer's lengths.
func (p *Provider) grpcCall(op kernels.Op, r *kernelpb.CallRequest, want, want2 int) (out, out2 []float32, err error) {
	t0 := time.Now()
	ctx := context.Background()
	if p.o.CallTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.o.CallTimeout)
		defer cancel()
	}
	r.OutLen = uint32(want)
	resp, err := p.kc.Call(ctx, r)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) || status.Code(err) == codes.DeadlineExceeded {
			return nil, nil, p.fail(fmt.Errorf("%s: no answer within call_timeout %s; the plugin was killed", op, p.o.CallTimeout))
		}
		return nil, nil, p.control(string(op), err)
	}
	if len(resp.GetOut()) != 4*want || len(resp.GetOut2()) != 4*want2 {
		return nil, nil, p.fail(fmt.Errorf("%s: the plugin answered with %d+%d values where the op has %d+%d; a plugin that breaks the protocol is not used again",
			op, len(resp.GetOut())/4, len(resp.GetOut2())/4, want, want2))
	}
	p.boundary[opIndex(op)] += time.Since(t0) - time.Duration(resp.GetNanos())
	return floatsOf(resp.GetOut()), floatsOf(resp.GetOut2()), nil
}

// floatsOf copies little-endian bytes into float32s.
func floatsOf(b []byte) []float32 {
	f := make([]float32, len(b)/4)
	copy(bytesOf(f), b)
	return f
}

// MatMul implements kernels.MatMul.
func (p *Provider) MatMul(out []float32, h kernels.Weight, x []float32) error {
	w, err := p.weightOf(h)
	if err != nil {
		return err
	}
	if p.dead != nil {
		return p.dead
	}
	n, d := w.cols, w.rows
	if len(x) < n || len(out) < d {
		return p.errorf("matmul %s %d×%d: x has %d values, out %d", w.name, d, n, len(x), len(out))
	}
	b := &p.buf
	if p.region == nil || n > b.inLen || d > b.outLen {
		res, _, err := p.grpcCall(kernels.MatMul, &kernelpb.CallRequest{Op: shmring.OpMatMul, Weight: w.id, A: bytesOf(x[:n])}, d, 0)
		if err == nil {
			copy(out, res)
		}
		return err
	}
	t0 := time.Now()
	copy(p.region.Floats(b.in, n), x[:n])
	sl, seq := p.slot(shmring.OpMatMul)
	sl.Weight, sl.N, sl.A, sl.Out, sl.OutLen = w.id, uint32(n), b.in, b.out, uint32(d)
	if err := p.roundTrip(kernels.MatMul, sl, seq, d, t0); err != nil {
		return err
	}
	copy(out[:d], p.region.Floats(b.out, d))
	return nil
}

// RMSNorm implements kernels.RMSNorm.
func (p *Provider) RMSNorm(out, x []float32, h kernels.Weight) error {
	w, err := p.weightOf(h)
	if err != nil {
		return err
	}
	if p.dead != nil {
		return p.dead
	}
	n, b := len(x), &p.buf
	if w.rows*w.cols != n || len(out) < n {
		return p.errorf("rmsnorm %s: weight %d×%d, x %d values, out %d", w.name, w.rows, w.cols, n, len(out))
	}
	if p.region == nil || n > b.inLen {
		res, _, err := p.grpcCall(kernels.RMSNorm, &kernelpb.CallRequest{Op: shmring.OpRMSNorm, Weight: w.id, A: bytesOf(x)}, n, 0)
		if err == nil {
			copy(out, res)
		}
		return err
	}
	t0 := time.Now()
	copy(p.region.Floats(b.in, n), x)
	sl, seq := p.slot(shmring.OpRMSNorm)
	sl.Weight, sl.N, sl.A, sl.Out, sl.OutLen = w.id, uint32(n), b.in, b.out, uint32(n)
	if err := p.roundTrip(kernels.RMSNorm, sl, seq, n, t0); err != nil {
		return err
	}
	copy(out[:n], p.region.Floats(b.out, n))
	return nil
}

// RoPE implements kernels.RoPE; q and k are unchanged when it fails.
func (p *Provider) RoPE(q, k []float32, pos int) error {
	if p.dead != nil {
		return p.dead
	}
	dim, kvDim, b := len(q), len(k), &p.buf
	if p.region == nil || dim > p.shape.Dim || kvDim > p.shape.KVDim() {
		res, res2, err := p.grpcCall(kernels.RoPE, &kernelpb.CallRequest{Op: shmring.OpRoPE, Pos: int32(pos), A: bytesOf(q), B: bytesOf(k)}, dim, kvDim)
		if err == nil {
			copy(q, res)
			copy(k, res2)
		}
		return err
	}
	t0 := time.Now()
	copy(p.region.Floats(b.q, dim), q)
	copy(p.region.Floats(b.k, kvDim), k)
	sl, seq := p.slot(shmring.OpRoPE)
	sl.Pos, sl.N, sl.N2, sl.A, sl.B = int32(pos), uint32(dim), uint32(kvDim), b.q, b.k
	if err := p.roundTrip(kernels.RoPE, sl, seq, dim+kvDim, t0); err != nil {
		return err
	}
	copy(q, p.region.Floats(b.q, dim))
	copy(k, p.region.Floats(b.k, kvDim))
	return nil
}

// Attention implements kernels.Attention. Caches from AllocCache are
// passed in place; others have rows 0..pos copied into staging.
func (p *Provider) Attention(out, q, keys, values []float32, pos int) error {
	if p.dead != nil {
		return p.dead
	}
	s, b := p.shape, &p.buf
	rows := (pos + 1) * s.KVDim()
	if pos < 0 || pos >= s.SeqLen || len(q) < s.Dim || len(out) < s.Dim || len(keys) < rows || len(values) < rows {
		return p.errorf("attention pos %d: outside the shape of Init (%+v) or short buffers", pos, s)
	}
	if p.region == nil {
		res, _, err := p.grpcCall(kernels.Attention, &kernelpb.CallRequest{Op: shmring.OpAttention, Pos: int32(pos),
			A: bytesOf(q[:s.Dim]), B: bytesOf(keys[:rows]), C: bytesOf(values[:rows])}, s.Dim, 0)
		if err == nil {
			copy(out, res)
		}
		return err
	}
	t0 := time.Now()
	copy(p.region.Floats(b.q, s.Dim), q[:s.Dim])
	sl, seq := p.slot(shmring.OpAttention)
	kOff, kIn := p.region.Offset(keys[:rows])
	vOff, vIn := p.region.Offset(values[:rows])
	if kIn && vIn {
		sl.B, sl.C = kOff, vOff
	} else {
		copy(p.region.Floats(b.keys, rows), keys[:rows])
		copy(p.region.Floats(b.values, rows), values[:rows])
		sl.B, sl.C = b.keys, b.values
	}
	sl.Pos, sl.N, sl.A, sl.Out, sl.OutLen = int32(pos), uint32(rows), b.q, b.out, uint32(s.Dim)
	if err := p.roundTrip(kernels.Attention, sl, seq, s.Dim, t0); err != nil {
		return err
	}
	copy(out[:s.Dim], p.region.Floats(b.out, s.Dim))
	return nil
}

// SwiGLU implements kernels.SwiGLU; gate is unchanged when it fails.
func (p *Provider) SwiGLU(gate, up []float32) error {
	if p.dead != nil {
		return p.dead
	}
	n, b := len(gate), &p.buf
	if len(up) < n {
		return p.errorf("swiglu: up has %d values, gate %d", len(up), n)
	}
	if p.region == nil || n > p.shape.HiddenDim {
		res, _, err := p.grpcCall(kernels.SwiGLU, &kernelpb.CallRequest{Op: shmring.OpSwiGLU, A: bytesOf(gate), B: bytesOf(up[:n])}, n, 0)
		if err == nil {
			copy(gate, res)
		}
		return err
	}
	t0 := time.Now()
	copy(p.region.Floats(b.gate, n), gate)
	copy(p.region.Floats(b.up, n), up[:n])
	sl, seq := p.slot(shmring.OpSwiGLU)
	sl.N, sl.A, sl.B = uint32(n), b.gate, b.up
	if err := p.roundTrip(kernels.SwiGLU, sl, seq, n, t0); err != nil {
		return err
	}
	copy(gate, p.region.Floats(b.gate, n))
	return nil
}

// Softmax implements kernels.Softmax; x is unchanged when it fails.
func (p *Provider) Softmax(x []float32) error {
	if p.dead != nil {
		return p.dead
	}
	n, b := len(x), &p.buf
	if p.region == nil || n > b.outLen {
		res, _, err := p.grpcCall(kernels.Softmax, &kernelpb.CallRequest{Op: shmring.OpSoftmax, A: bytesOf(x)}, n, 0)
		if err == nil {
			copy(x, res)
		}
		return err
	}
	t0 := time.Now()
	copy(p.region.Floats(b.out, n), x)
	sl, seq := p.slot(shmring.OpSoftmax)
	sl.N, sl.A = uint32(n), b.out
	if err := p.roundTrip(kernels.Softmax, sl, seq, n, t0); err != nil {
		return err
	}
	copy(x, p.region.Floats(b.out, n))
	return nil
}
