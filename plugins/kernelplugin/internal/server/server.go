// Package server is the plugin side of the kernels protocol: the gRPC
// service and the shared-memory ring loop that turn requests into calls of
// a kernels.Provider. plugins/kernelplugin wraps it for authors; the fault
// plugin of the tests uses its Fault hooks to misbehave on purpose.
package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"sync"
	"time"
	"unsafe"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/retrollama/retrollama/internal/shmring"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/plugins/kernelplugin/protocol"
	"github.com/retrollama/retrollama/plugins/proto/kernelpb"
)

// Options are what the host tells a plugin about the provider it wants.
type Options struct {
	// Threads is the number of goroutines the provider may use for one
	// op; 0 means all cores.
	Threads int
	// Logger writes to the host's log (hclog JSON on stderr, relayed with
	// its levels under the provider's name).
	Logger hclog.Logger
}

// Config is a plugin's whole setup.
type Config struct {
	// New constructs the provider when the host opens the plugin.
	New func(Options) (kernels.Provider, error)
	// ProtocolVersion overrides protocol.Version (tests only).
	ProtocolVersion int
	// Fault makes the plugin misbehave (tests only).
	Fault Fault
}

// Fault is what the fault-injection plugin of the tests switches on.
type Fault struct {
	// BeforeOp runs before the n-th op call (counting from 1).
	BeforeOp func(n int)
	// OutLenDelta is added to the number of floats an op reports.
	OutLenDelta int
}

// File descriptors the host passes for the shared-memory transport.
const (
	dataFD  = 3 // the data region: header, ring slots, operands, KV caches
	arenaFD = 4 // the weight arena, written once by the host
)

// Serve runs the plugin until the host closes it; it never returns.
func Serve(cfg Config) {
	log := hclog.New(&hclog.LoggerOptions{
		Name:       "plugin",
		Level:      hclog.LevelFromString(os.Getenv("RETROLLAMA_PLUGIN_LOG")),
		Output:     os.Stderr,
		JSONFormat: true,
	})
	if log.GetLevel() == hclog.NoLevel {
		log.SetLevel(hclog.Info)
	}
	s := &server{cfg: cfg, log: log, ppid: os.Getppid()}
	version := cfg.ProtocolVersion
	if version == 0 {
		version = protocol.Version
	}
	hs := protocol.Handshake
	hs.ProtocolVersion = uint(version)
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  hs,
		VersionedPlugins: map[int]plugin.PluginSet{version: {protocol.Name: &protocol.Plugin{Kernels: s}}},
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			return grpc.NewServer(append(opts, protocol.ServerOptions()...)...)
		},
		Logger: log,
	})
	os.Exit(0)
}

// server implements the kernels service over one provider.
type server struct {
	kernelpb.UnimplementedKernelsServer
	cfg  Config
	log  hclog.Logger
	ppid int

	mu      sync.Mutex // serialises ops: the contract allows one call at a time
	p       kernels.Provider
	shape   kernels.Shape
	weights []prepared
	maps    [][]byte // weight arena mappings, unmapped at Close
	calls   int

	region *shmring.Region
	data   []byte
	arena  *os.File
	stop   chan struct{}
	done   chan struct{}
}

// Open implements kernelpb.KernelsServer.
func (s *server) Open(_ context.Context, r *kernelpb.OpenRequest) (*kernelpb.OpenResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.p != nil {
		return nil, errors.New("open: already open")
	}
	p, err := s.cfg.New(Options{Threads: int(r.GetThreads()), Logger: s.log.Named("provider")})
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	s.p = p
	resp := &kernelpb.OpenResponse{Name: p.Name(), Shm: shmring.Inherited(dataFD) && shmring.Inherited(arenaFD)}
	if d, ok := p.(kernels.Describer); ok {
		resp.Description = d.Describe()
	}
	for _, op := range kernels.AllOps() {
		dtypes := []kernels.DType{kernels.F32}
		if op == kernels.MatMul {
			dtypes = append(dtypes, kernels.Q8_0)
		}
		for _, dt := range dtypes {
			q := kernels.Query{Op: op, DType: dt, Model: protocol.NominalShape}
			if op == kernels.MatMul {
				q.Rows, q.Cols = protocol.NominalShape.Dim, protocol.NominalShape.Dim
			}
			sup := p.Supports(q)
			resp.Ops = append(resp.Ops, &kernelpb.OpSupport{Op: string(op), Dtype: dt.String(), Ok: sup.OK, Reason: sup.Reason})
		}
	}
	s.log.Info("provider open", "name", p.Name(), "threads", r.GetThreads(), "shm", resp.Shm)
	return resp, nil
}

func (s *server) provider() (kernels.Provider, error) {
	if s.p == nil {
		return nil, errors.New("the host has not opened the provider")
	}
	return s.p, nil
}

// Supports implements kernelpb.KernelsServer.
func (s *server) Supports(_ context.Context, q *kernelpb.Query) (*kernelpb.Support, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.provider()
	if err != nil {
		return nil, err
	}
	sup := p.Supports(protocol.FromQuery(q))
	return &kernelpb.Support{Ok: sup.OK, Reason: sup.Reason}, nil
}

// Init implements kernelpb.KernelsServer: the provider's Init and, on the
// shm transport, mapping the data region and starting the ring loop.
func (s *server) Init(_ context.Context, r *kernelpb.InitRequest) (*kernelpb.InitResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.provider()
	if err != nil {
		return nil, err
	}
	s.shape = protocol.FromShape(r.GetShape())
	if err := p.Init(s.shape); err != nil {
		return nil, err
	}
	if size := r.GetDataSize(); size > 0 && s.region == nil {
		if size > 1<<40 {
			return nil, fmt.Errorf("init: data region of %d bytes", size)
		}
		data := os.NewFile(dataFD, "data region")
		if s.data, err = shmring.Map(data, 0, int(size), true); err != nil {
			return nil, fmt.Errorf("init: %w", err)
		}
		data.Close()
		if s.region, err = shmring.New(s.data, false); err != nil {
			return nil, fmt.Errorf("init: %w", err)
		}
		s.arena = os.NewFile(arenaFD, "weight arena")
		s.stop, s.done = make(chan struct{}), make(chan struct{})
		// Read the counter before Init returns: the host submits its
		// first request only after that, and a loop reading it later
		// could take that request for an old one and never serve it.
		go s.ring(s.region.Submitted())
	}
	return &kernelpb.InitResponse{}, nil
}

// Prepare implements kernelpb.KernelsServer. On the shm transport the
// tensor is mapped read-only from the weight arena, never copied.
func (s *server) Prepare(_ context.Context, r *kernelpb.PrepareRequest) (*kernelpb.PrepareResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.provider()
	if err != nil {
		return nil, err
	}
	t := kernels.Tensor{Name: r.GetName(), DType: kernels.DType(r.GetDtype()), Rows: int(r.GetRows()), Cols: int(r.GetCols()), GroupSize: int(r.GetGroupSize())}
	values, scales := r.GetValues(), r.GetScales()
	if r.GetLength() > 0 {
		if s.arena == nil {
			return nil, fmt.Errorf("prepare %s: weight arena offsets without the shm transport", t.Name)
		}
		if values, err = s.mapArena(r.GetOffset(), r.GetLength()); err != nil {
			return nil, fmt.Errorf("prepare %s: %w", t.Name, err)
		}
		if r.GetScalesLength() > 0 {
			if scales, err = s.mapArena(r.GetScalesOffset(), r.GetScalesLength()); err != nil {
				return nil, fmt.Errorf("prepare %s: %w", t.Name, err)
			}
		}
	}
	switch t.DType {
	case kernels.F32:
		t.F32 = floats(values)
	case kernels.Q8_0:
		t.Q8 = unsafe.Slice((*int8)(unsafe.Pointer(unsafe.SliceData(values))), len(values))
		t.Scales = floats(scales)
	default:
		return nil, fmt.Errorf("prepare %s: unknown dtype %d", t.Name, t.DType)
	}
	w, err := p.Prepare(t)
	if err != nil {
		return nil, err
	}
	s.weights = append(s.weights, prepared{w, t.Rows, t.Cols})
	return &kernelpb.PrepareResponse{Weight: uint32(len(s.weights) - 1)}, nil
}

// mapArena maps length bytes of the weight arena at a page-aligned offset.
func (s *server) mapArena(off, length uint64) ([]byte, error) {
	if length > 1<<40 || off > 1<<40 {
		return nil, fmt.Errorf("weight arena range [%d, +%d) out of bounds", off, length)
	}
	b, err := shmring.Map(s.arena, int64(off), int(length), false)
	if err != nil {
		return nil, err
	}
	s.maps = append(s.maps, b)
	return b, nil
}

// floats views little-endian bytes as float32s, copying only when they
// are not 4-byte aligned (gRPC buffers need not be).
func floats(b []byte) []float32 {
	if len(b) == 0 {
		return nil
	}
	if uintptr(unsafe.Pointer(unsafe.SliceData(b)))%4 != 0 {
		b = append([]byte(nil), b...)
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/4)
}

// bytesOf views float32s as bytes.
func bytesOf(f []float32) []byte {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(f))), 4*len(f))
}

// prepared is a tensor the provider holds, with its shape for checking
// requests.
type prepared struct {
	w          kernels.Weight
	rows, cols int
}

// weight returns the prepared tensor of a wire handle.
func (s *server) weight(id uint32) (prepared, error) {
	if int(id) >= len(s.weights) {
		return prepared{}, fmt.Errorf("weight handle %d: only %d prepared", id, len(s.weights))
	}
	return s.weights[id], nil
}

// checkOp refuses a request whose sizes do not fit the op, the weight and
// the Init shape, so that a provider is only ever called as the contract
// promises (the host is trusted, but a plugin must not crash on a bug
// there: FuzzSlot feeds it arbitrary requests).
func (s *server) checkOp(op uint32, w prepared, n, n2, outLen, pos int) error {
	sh := s.shape
	switch op {
	case shmring.OpMatMul:
		if n != w.cols || outLen != w.rows {
			return fmt.Errorf("matmul of a %d×%d weight with %d inputs and %d outputs", w.rows, w.cols, n, outLen)
		}
	case shmring.OpRMSNorm:
		if n != w.rows*w.cols || outLen != n || n == 0 {
			return fmt.Errorf("rmsnorm of %d weights with %d inputs and %d outputs", w.rows*w.cols, n, outLen)
		}
	case shmring.OpRoPE:
		if pos < 0 || n > sh.Dim || n2 > sh.KVDim() || n%2 != 0 || n2%2 != 0 {
			return fmt.Errorf("rope of %d and %d values at position %d (model dim %d, kv dim %d)", n, n2, pos, sh.Dim, sh.KVDim())
		}
	case shmring.OpAttention:
		if pos < 0 || pos >= sh.SeqLen || n < (pos+1)*sh.KVDim() {
			return fmt.Errorf("attention at position %d over %d cached values (seq_len %d, kv dim %d)", pos, n, sh.SeqLen, sh.KVDim())
		}
	case shmring.OpSwiGLU, shmring.OpSoftmax:
		if n == 0 {
			return fmt.Errorf("op %d of no values", op)
		}
	}
	return nil
}

// before counts an op call and runs the fault hook.
func (s *server) before() {
	s.calls++
	if s.cfg.Fault.BeforeOp != nil {
		s.cfg.Fault.BeforeOp(s.calls)
	}
}

// Call implements kernelpb.KernelsServer: one op on the gRPC transport.
func (s *server) Call(_ context.Context, r *kernelpb.CallRequest) (*kernelpb.CallResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.provider()
	if err != nil {
		return nil, err
	}
	s.before()
	a, b, c := cloneFloats(r.GetA()), cloneFloats(r.GetB()), cloneFloats(r.GetC())
	out := make([]float32, r.GetOutLen())
	var out2 []float32
	start := time.Now()
	err = safely(func() error {
		if r.GetOp() != shmring.OpMatMul && r.GetOp() != shmring.OpRMSNorm {
			n, n2 := len(a), len(b)
			if r.GetOp() == shmring.OpAttention {
				n = len(b)
				if len(a) < s.shape.Dim || len(c) != len(b) {
					return fmt.Errorf("attention with q of %d values, %d keys, %d values", len(a), len(b), len(c))
				}
				if len(out) < s.shape.Dim {
					out = make([]float32, s.shape.Dim)
				}
			}
			if r.GetOp() == shmring.OpSwiGLU && len(b) < len(a) {
				return fmt.Errorf("swiglu with %d gate and %d up values", len(a), len(b))
			}
			if err := s.checkOp(r.GetOp(), prepared{}, n, n2, len(out), int(r.GetPos())); err != nil {
				return err
			}
		}
		switch r.GetOp() {
		case shmring.OpMatMul, shmring.OpRMSNorm:
			w, err := s.weight(r.GetWeight())
			if err != nil {
				return err
			}
			if err := s.checkOp(r.GetOp(), w, len(a), 0, len(out), 0); err != nil {
				return err
			}
			if r.GetOp() == shmring.OpMatMul {
				return p.MatMul(out, w.w, a)
			}
			return p.RMSNorm(out, a, w.w)
		case shmring.OpRoPE:
			out, out2 = a, b
			return p.RoPE(a, b, int(r.GetPos()))
		case shmring.OpAttention:
			return p.Attention(out, a, b, c, int(r.GetPos()))
		case shmring.OpSwiGLU:
			out = a
			return p.SwiGLU(a, b)
		case shmring.OpSoftmax:
			out = a
			return p.Softmax(a)
		}
		return fmt.Errorf("unknown op code %d", r.GetOp())
	})
	nanos := uint64(time.Since(start))
	if err != nil {
		return nil, err
	}
	if d := s.cfg.Fault.OutLenDelta; d != 0 {
		out = make([]float32, max(0, len(out)+d))
	}
	return &kernelpb.CallResponse{Out: bytesOf(out), Out2: bytesOf(out2), Nanos: nanos}, nil
}

// cloneFloats copies wire bytes into a fresh float32 slice (the provider
// may write in place, and gRPC's buffers are not ours to change).
func cloneFloats(b []byte) []float32 {
	f := make([]float32, len(b)/4)
	copy(bytesOf(f), b)
	return f
}

// safely runs an op, turning a panic of the provider into an error the
// host can report instead of a dead plugin.
func safely(op func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("provider panicked: %v\n%s", r, debug.Stack())
		}
	}()
	return op()
}

// ring serves the requests after last from the shared-memory ring until
// Close.
func (s *server) ring(last uint32) {
	defer close(s.done)
	// Spin as long as the host does: the gap between two ops of a token
	// is short, and a futex wake-up is not. Poll bounds how late the loop
	// notices Close or a dead host.
	w := shmring.Wait{Spin: shmring.Spin, Poll: 100 * time.Millisecond, Check: s.alive}
	for {
		seq, err := s.region.WaitSubmitted(last, w)
		if err != nil {
			return
		}
		for last != seq {
			last++
			s.mu.Lock()
			s.serve(s.region.Slot(last))
			s.mu.Unlock()
			s.region.Complete(last)
		}
	}
}

var errStopped = errors.New("stopped")

// alive ends the ring loop on Close, and the process when the host is
// gone (an orphaned plugin must not outlive it).
func (s *server) alive() error {
	select {
	case <-s.stop:
		return errStopped
	default:
	}
	if os.Getppid() != s.ppid {
		s.log.Error("the host process is gone; exiting")
		os.Exit(1)
	}
	return nil
}

// serve runs the op in one slot and writes the completion.
func (s *server) serve(sl *shmring.Slot) {
	s.before()
	var outLen int
	start := time.Now()
	err := safely(func() error {
		var err error
		outLen, err = s.callOp(sl)
		return err
	})
	sl.Nanos = uint64(time.Since(start))
	sl.OutLen = uint32(max(0, outLen+s.cfg.Fault.OutLenDelta))
	if err != nil {
		sl.SetErr(1, err.Error())
		return
	}
	sl.Status, sl.ErrLen = 0, 0
}

// callOp decodes a slot's operands (each checked to lie in the region) and
// calls the provider; it returns the number of floats the op produced.
func (s *server) callOp(sl *shmring.Slot) (int, error) {
	r := s.region
	operand := func(name string, off uint64, n int) ([]float32, error) {
		f := r.Floats(off, n)
		if f == nil && n > 0 {
			return nil, fmt.Errorf("operand %s [%d, +%d floats) outside the shared region", name, off, n)
		}
		return f, nil
	}
	n, pos := int(sl.N), int(sl.Pos)
	if sl.Op != shmring.OpMatMul && sl.Op != shmring.OpRMSNorm {
		if err := s.checkOp(sl.Op, prepared{}, n, int(sl.N2), 0, pos); err != nil {
			return 0, err
		}
	}
	switch sl.Op {
	case shmring.OpMatMul, shmring.OpRMSNorm:
		w, err := s.weight(sl.Weight)
		if err != nil {
			return 0, err
		}
		x, err := operand("x", sl.A, n)
		if err != nil {
			return 0, err
		}
		out, err := operand("out", sl.Out, int(sl.OutLen))
		if err != nil {
			return 0, err
		}
		if err := s.checkOp(sl.Op, w, n, 0, len(out), 0); err != nil {
			return 0, err
		}
		if sl.Op == shmring.OpMatMul {
			return len(out), s.p.MatMul(out, w.w, x)
		}
		return len(out), s.p.RMSNorm(out, x, w.w)
	case shmring.OpRoPE:
		q, err := operand("q", sl.A, n)
		if err != nil {
			return 0, err
		}
		k, err := operand("k", sl.B, int(sl.N2))
		if err != nil {
			return 0, err
		}
		return len(q) + len(k), s.p.RoPE(q, k, pos)
	case shmring.OpAttention:
		dim := s.shape.Dim
		q, err := operand("q", sl.A, dim)
		if err != nil {
			return 0, err
		}
		keys, err := operand("keys", sl.B, n)
		if err != nil {
			return 0, err
		}
		values, err := operand("values", sl.C, n)
		if err != nil {
			return 0, err
		}
		out, err := operand("out", sl.Out, dim)
		if err != nil {
			return 0, err
		}
		return dim, s.p.Attention(out, q, keys, values, pos)
	case shmring.OpSwiGLU:
		gate, err := operand("gate", sl.A, n)
		if err != nil {
			return 0, err
		}
		up, err := operand("up", sl.B, n)
		if err != nil {
			return 0, err
		}
		return n, s.p.SwiGLU(gate, up)
	case shmring.OpSoftmax:
		x, err := operand("x", sl.A, n)
		if err != nil {
			return 0, err
		}
		return n, s.p.Softmax(x)
	}
	return 0, fmt.Errorf("unknown op code %d", sl.Op)
}

// Close implements kernelpb.KernelsServer: the ring loop stops, the
// provider closes, the mappings go. go-plugin then ends the process.
func (s *server) Close(_ context.Context, _ *kernelpb.CloseRequest) (*kernelpb.CloseResponse, error) {
	if s.stop != nil {
		close(s.stop)
		// Wake the loop until it has seen stop: a wake-up sent just
		// before it goes to sleep would be lost, and it would notice
		// only after its 100 ms poll.
		for stopped := false; !stopped; {
			s.region.Interrupt()
			select {
			case <-s.done:
				stopped = true
			case <-time.After(time.Millisecond):
			}
		}
		s.stop = nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	if s.p != nil {
		err = s.p.Close()
		s.p = nil
	}
	for _, b := range s.maps {
		_ = shmring.Unmap(b)
	}
	s.maps = nil
	if s.data != nil {
		_ = shmring.Unmap(s.data)
		s.data, s.region = nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &kernelpb.CloseResponse{}, nil
}
