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

	"github.com/retrollama/retrollama/internal/host/boundary"
	"github.com/retrollama/retrollama/internal/shmring"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/plugins/kernelplugin/protocol"
	"github.com/retrollama/retrollama/plugins/proto/kernelpb"
)

// Init implements kernels.Provider: on the shm transport it sizes and maps
// the shared region (staging for every operand and room for the model's KV
// caches), then initialises the plugin's provider.
func (p *Provider) Init(s kernels.Shape) error {
	if dead := p.Dead(); dead != nil {
		return dead
	}
	if err := p.Core.Init(s); err != nil {
		return p.errorf("%w", err)
	}
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
		b, r := &p.buf, p.region
		p.shm = boundary.Staging{
			In: r.Floats(b.in, b.inLen), Out: r.Floats(b.out, b.outLen),
			Q: r.Floats(b.q, s.Dim), K: r.Floats(b.k, s.KVDim()),
			Gate: r.Floats(b.gate, s.HiddenDim), Up: r.Floats(b.up, s.HiddenDim),
			Keys: r.Floats(b.keys, b.cacheLen), Values: r.Floats(b.values, b.cacheLen),
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
	if dead := p.Dead(); dead != nil {
		return nil, dead
	}
	if err := boundary.CheckTensor(t); err != nil {
		return nil, p.errorf("%w", err)
	}
	r := &kernelpb.PrepareRequest{Name: t.Name, Dtype: uint32(t.DType), Rows: uint32(t.Rows), Cols: uint32(t.Cols), GroupSize: uint32(max(0, t.GroupSize))}
	var values, scales []byte
	switch t.DType {
	case kernels.F32:
		values = bytesOf(t.F32)
	case kernels.Q8_0:
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
	return p.NewWeight(t, resp.GetWeight()), nil
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

// CallError implements boundary.Transport: the error that retired the
// plugin is passed on as it is (every later call fails with the same
// error); others get the provider, the plugin and its last stderr lines.
func (p *Provider) CallError(c *boundary.Call, err error) error {
	if err == p.Dead() {
		return err
	}
	return p.errorf("%s %s: %w", c.Op, c, err)
}

// Stage implements boundary.Transport: a call whose operands fit the
// region's staging goes through the ring; others, and every call on the
// grpc transport, are staged on the heap and sent as a gRPC call.
// Attention's caches from AllocCache are read where they are.
func (p *Provider) Stage(c *boundary.Call) *boundary.Staging {
	if p.region != nil {
		if c.Op == kernels.Attention {
			kOff, kIn := p.region.Offset(c.Keys)
			vOff, vIn := p.region.Offset(c.Values)
			if kIn && vIn {
				c.InPlace, p.kOff, p.vOff = true, kOff, vOff
			}
		}
		if p.shm.Holds(c) {
			return &p.shm
		}
	}
	c.InPlace = c.Op == kernels.Attention // gRPC sends the caches as they are
	p.heap.Fit(c)
	return &p.heap
}

// Invoke implements boundary.Transport: through the ring when st is the
// region's, else as a gRPC call. The crossing is the round trip less the
// kernel time the plugin reports.
func (p *Provider) Invoke(c *boundary.Call, st *boundary.Staging) (time.Duration, error) {
	if st == &p.shm {
		return p.ring(c)
	}
	return p.grpc(c, st)
}

// ringOp is the protocol's code of an op (the ring's and gRPC's).
func ringOp(op kernels.Op) uint32 {
	switch op {
	case kernels.MatMul:
		return shmring.OpMatMul
	case kernels.RMSNorm:
		return shmring.OpRMSNorm
	case kernels.RoPE:
		return shmring.OpRoPE
	case kernels.Attention:
		return shmring.OpAttention
	case kernels.SwiGLU:
		return shmring.OpSwiGLU
	}
	return shmring.OpSoftmax
}

// ring submits c, staged in the region, in the next ring slot, waits for
// its completion and checks it: a dead, hung or lying plugin is killed
// and made unusable; an error the plugin's provider returned is passed
// on.
func (p *Provider) ring(c *boundary.Call) (time.Duration, error) {
	t0 := time.Now()
	b := &p.buf
	p.seq++
	seq := p.seq
	sl := p.region.Slot(seq)
	*sl = shmring.Slot{Op: ringOp(c.Op)}
	want := c.N
	switch c.Op {
	case kernels.MatMul:
		sl.Weight, sl.N, sl.A, sl.Out, sl.OutLen = c.Weight.Ref.(uint32), uint32(c.N), b.in, b.out, uint32(c.M)
		want = c.M
	case kernels.RMSNorm:
		sl.Weight, sl.N, sl.A, sl.Out, sl.OutLen = c.Weight.Ref.(uint32), uint32(c.N), b.in, b.out, uint32(c.N)
	case kernels.RoPE:
		sl.Pos, sl.N, sl.N2, sl.A, sl.B = int32(c.Pos), uint32(c.N), uint32(c.M), b.q, b.k
		want = c.N + c.M
	case kernels.Attention:
		sl.B, sl.C = b.keys, b.values
		if c.InPlace {
			sl.B, sl.C = p.kOff, p.vOff
		}
		sl.Pos, sl.N, sl.A, sl.Out, sl.OutLen = int32(c.Pos), uint32(c.M), b.q, b.out, uint32(c.N)
	case kernels.SwiGLU:
		sl.N, sl.A, sl.B = uint32(c.N), b.gate, b.up
	case kernels.Softmax:
		sl.N, sl.A = uint32(c.N), b.out
	}
	w := shmring.Wait{Spin: shmring.Spin, Poll: 2 * time.Millisecond, Check: p.exited}
	if p.o.CallTimeout > 0 {
		w.Deadline = time.Now().Add(p.o.CallTimeout)
	}
	p.region.Submit(seq)
	if err := p.region.WaitCompleted(seq, w); err != nil {
		if errors.Is(err, shmring.ErrTimeout) {
			return 0, p.fail(fmt.Errorf("%s: no answer within call_timeout %s; the plugin was killed", c.Op, p.o.CallTimeout))
		}
		return 0, p.fail(fmt.Errorf("%s: %w", c.Op, err))
	}
	if sl.Status != 0 {
		return 0, p.errorf("%s: %s", c.Op, sl.ErrText())
	}
	if int(sl.OutLen) != want {
		return 0, p.fail(fmt.Errorf("%s: the plugin answered with %d values where the op has %d; a plugin that breaks the protocol is not used again", c.Op, sl.OutLen, want))
	}
	return time.Since(t0) - time.Duration(sl.Nanos), nil
}

// grpc runs c, staged on the heap, as a gRPC call, checks the answer's
// lengths and puts the results in st.
func (p *Provider) grpc(c *boundary.Call, st *boundary.Staging) (time.Duration, error) {
	r := &kernelpb.CallRequest{Op: ringOp(c.Op)}
	var out, out2 []float32 // where the answer goes
	switch c.Op {
	case kernels.MatMul:
		r.Weight, r.A, out = c.Weight.Ref.(uint32), bytesOf(st.In[:c.N]), st.Out[:c.M]
	case kernels.RMSNorm:
		r.Weight, r.A, out = c.Weight.Ref.(uint32), bytesOf(st.In[:c.N]), st.Out[:c.N]
	case kernels.RoPE:
		r.Pos, r.A, r.B, out, out2 = int32(c.Pos), bytesOf(st.Q[:c.N]), bytesOf(st.K[:c.M]), st.Q[:c.N], st.K[:c.M]
	case kernels.Attention:
		r.Pos, r.A, r.B, r.C, out = int32(c.Pos), bytesOf(st.Q[:c.N]), bytesOf(c.Keys), bytesOf(c.Values), st.Out[:c.N]
	case kernels.SwiGLU:
		r.A, r.B, out = bytesOf(st.Gate[:c.N]), bytesOf(st.Up[:c.N]), st.Gate[:c.N]
	case kernels.Softmax:
		r.A, out = bytesOf(st.Out[:c.N]), st.Out[:c.N]
	}
	t0 := time.Now()
	ctx := context.Background()
	if p.o.CallTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.o.CallTimeout)
		defer cancel()
	}
	r.OutLen = uint32(len(out))
	resp, err := p.kc.Call(ctx, r)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) || status.Code(err) == codes.DeadlineExceeded {
			return 0, p.fail(fmt.Errorf("%s: no answer within call_timeout %s; the plugin was killed", c.Op, p.o.CallTimeout))
		}
		return 0, p.control(string(c.Op), err)
	}
	if len(resp.GetOut()) != 4*len(out) || len(resp.GetOut2()) != 4*len(out2) {
		return 0, p.fail(fmt.Errorf("%s: the plugin answered with %d+%d values where the op has %d+%d; a plugin that breaks the protocol is not used again",
			c.Op, len(resp.GetOut())/4, len(resp.GetOut2())/4, len(out), len(out2)))
	}
	crossing := time.Since(t0) - time.Duration(resp.GetNanos())
	copy(bytesOf(out), resp.GetOut())
	copy(bytesOf(out2), resp.GetOut2())
	return crossing, nil
}
