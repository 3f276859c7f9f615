package server

import (
	"context"
	"strings"
	"testing"
	"unsafe"

	"github.com/hashicorp/go-hclog"

	"github.com/retrollama/retrollama/internal/shmring"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
	"github.com/retrollama/retrollama/plugins/proto/kernelpb"
)

var fuzzShape = kernels.Shape{Dim: 8, HiddenDim: 16, Heads: 2, KVHeads: 1, SeqLen: 4, VocabSize: 12, Layers: 1}

// fuzzServer is a plugin server on the scalar reference with a region in
// Go memory, one 12×8 matrix (handle 0) and one rmsnorm vector (handle 1).
func fuzzServer(t testing.TB) *server {
	s := &server{log: hclog.NewNullLogger(), cfg: Config{New: func(Options) (kernels.Provider, error) { return scalar.New(), nil }}}
	if _, err := s.Open(context.Background(), &kernelpb.OpenRequest{}); err != nil {
		t.Fatal(err)
	}
	s.shape = fuzzShape
	if err := s.p.Init(fuzzShape); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, shmring.DataOffset+4096+64)
	off := (64 - int(uintptr(unsafe.Pointer(&buf[0]))%64)) % 64
	r, err := shmring.New(buf[off:off+shmring.DataOffset+4096], true)
	if err != nil {
		t.Fatal(err)
	}
	s.region = r
	for _, rc := range [][2]int{{12, 8}, {1, 8}} {
		w := make([]float32, rc[0]*rc[1])
		b := unsafe.Slice((*byte)(unsafe.Pointer(&w[0])), 4*len(w))
		if _, err := s.Prepare(context.Background(), &kernelpb.PrepareRequest{Name: "w", Dtype: uint32(kernels.F32), Rows: uint32(rc[0]), Cols: uint32(rc[1]), Values: b}); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// FuzzSlot: whatever a request slot holds — an unknown op, a bad
// handle, offsets outside the region, lengths that do not fit the op —
// the plugin answers with an error or a result, and never lets the
// provider panic or touch memory outside the region.
func FuzzSlot(f *testing.F) {
	d := uint64(shmring.DataOffset)
	f.Add(uint32(shmring.OpMatMul), uint32(0), int32(0), uint32(8), uint32(0), d, d, d, d+64, uint32(12))
	f.Add(uint32(shmring.OpRMSNorm), uint32(1), int32(0), uint32(8), uint32(0), d, d, d, d+64, uint32(8))
	f.Add(uint32(shmring.OpRoPE), uint32(0), int32(3), uint32(8), uint32(4), d, d+64, d, d, uint32(12))
	f.Add(uint32(shmring.OpAttention), uint32(0), int32(3), uint32(16), uint32(0), d, d+64, d+256, d+512, uint32(8))
	f.Add(uint32(shmring.OpAttention), uint32(0), int32(9), uint32(16), uint32(0), d, d+64, d+256, d+512, uint32(8))
	f.Add(uint32(shmring.OpSwiGLU), uint32(0), int32(0), uint32(16), uint32(0), d, d+64, d, d, uint32(16))
	f.Add(uint32(shmring.OpSoftmax), uint32(0), int32(0), uint32(0), uint32(0), d, d, d, d, uint32(0))
	f.Add(uint32(shmring.OpMatMul), uint32(7), int32(0), uint32(1<<30), uint32(0), uint64(1)<<63, d, d, d, uint32(1<<31))
	s := fuzzServer(f)
	f.Fuzz(func(t *testing.T, op, weight uint32, pos int32, n, n2 uint32, a, b, c, out uint64, outLen uint32) {
		sl := s.region.Slot(1)
		*sl = shmring.Slot{Op: op, Weight: weight, Pos: pos, N: n, N2: n2, A: a, B: b, C: c, Out: out, OutLen: outLen}
		s.serve(sl)
		if msg := sl.ErrText(); strings.Contains(msg, "panicked") {
			t.Fatalf("the provider panicked on %+v: %s", *sl, msg)
		}
		if sl.Status == 0 && op > shmring.OpSoftmax {
			t.Fatalf("unknown op %d succeeded", op)
		}
	})
}

// TestCallChecks: the gRPC transport's Call refuses what the shm path
// refuses.
func TestCallChecks(t *testing.T) {
	s := fuzzServer(t)
	f := func(n int) []byte { return make([]byte, 4*n) }
	for _, c := range []struct {
		name string
		r    *kernelpb.CallRequest
		want string
	}{
		{"matmul short x", &kernelpb.CallRequest{Op: shmring.OpMatMul, A: f(3), OutLen: 12}, "matmul of a 12×8 weight"},
		{"bad handle", &kernelpb.CallRequest{Op: shmring.OpMatMul, Weight: 9, A: f(8), OutLen: 12}, "weight handle 9"},
		{"attention past seq_len", &kernelpb.CallRequest{Op: shmring.OpAttention, Pos: 4, A: f(8), B: f(20), C: f(20), OutLen: 8}, "attention at position 4"},
		{"attention short cache", &kernelpb.CallRequest{Op: shmring.OpAttention, Pos: 3, A: f(8), B: f(4), C: f(4), OutLen: 8}, "attention at position 3"},
		{"rope too long", &kernelpb.CallRequest{Op: shmring.OpRoPE, A: f(10), B: f(4)}, "rope of 10"},
		{"swiglu short up", &kernelpb.CallRequest{Op: shmring.OpSwiGLU, A: f(8), B: f(2)}, "swiglu with 8 gate"},
		{"unknown op", &kernelpb.CallRequest{Op: 99}, "unknown op code 99"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Call(context.Background(), c.r)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
	if _, err := s.Call(context.Background(), &kernelpb.CallRequest{Op: shmring.OpMatMul, A: f(8), OutLen: 12}); err != nil {
		t.Errorf("a good matmul: %v", err)
	}
}
