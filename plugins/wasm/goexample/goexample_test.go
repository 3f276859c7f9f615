package main_test

// These tests run on the host (main.go only builds for wasip1): they load
// the committed goexample.wasm with wazero, as internal/host/wasmhost does, and
// check every op bit for bit against kernels/scalar, with both of wazero's
// engines, plus the ABI's rules on alignment, imports and memory growth.

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/retrollama/retrollama/internal/kernels/kerneltest"
	"github.com/retrollama/retrollama/internal/ropetable"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

const wasmFile = "goexample.wasm"

// engines are wazero's two engines; the compiler only exists on some
// GOARCHes.
func engines() []struct {
	name string
	cfg  func() wazero.RuntimeConfig
} {
	es := []struct {
		name string
		cfg  func() wazero.RuntimeConfig
	}{{"interpreter", wazero.NewRuntimeConfigInterpreter}}
	if runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64" {
		es = append([]struct {
			name string
			cfg  func() wazero.RuntimeConfig
		}{{"compiler", wazero.NewRuntimeConfigCompiler}}, es...)
	}
	return es
}

// wasmModule is an instantiated goexample.wasm.
type wasmModule struct {
	tb  testing.TB
	ctx context.Context
	mod api.Module
	mem api.Memory
}

// load instantiates goexample.wasm the way the ABI describes: WASI with
// nothing but stdout and stderr, _initialize called at instantiation.
func load(tb testing.TB, cfg wazero.RuntimeConfig) *wasmModule {
	tb.Helper()
	bin, err := os.ReadFile(wasmFile)
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, cfg)
	tb.Cleanup(func() { r.Close(ctx) })
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	mc := wazero.NewModuleConfig().WithStdout(os.Stdout).WithStderr(os.Stderr).
		WithStartFunctions("_initialize")
	mod, err := r.InstantiateWithConfig(ctx, bin, mc)
	if err != nil {
		tb.Fatal(err)
	}
	m := &wasmModule{tb: tb, ctx: ctx, mod: mod, mem: mod.Memory()}
	if m.mem == nil {
		tb.Fatal("module exports no memory")
	}
	if v := m.call("rl_abi_version"); v != 1 {
		tb.Fatalf("rl_abi_version() = %d, want 1", v)
	}
	return m
}

// call calls an export with i32 arguments and returns its i32 result.
func (m *wasmModule) call(name string, args ...int) int32 {
	m.tb.Helper()
	f := m.mod.ExportedFunction(name)
	if f == nil {
		m.tb.Fatalf("module exports no %s", name)
	}
	a := make([]uint64, len(args))
	for i, v := range args {
		a[i] = api.EncodeI32(int32(v))
	}
	res, err := f.Call(m.ctx, a...)
	if err != nil {
		m.tb.Fatalf("%s%v: %v", name, args, err)
	}
	return api.DecodeI32(res[0])
}

// op calls an op export and fails the test unless it returns 0.
func (m *wasmModule) op(name string, args ...int) {
	m.tb.Helper()
	if rc := m.call(name, args...); rc != 0 {
		m.tb.Fatalf("%s%v = %d", name, args, rc)
	}
}

// alloc calls rl_alloc and checks the ABI's alignment.
func (m *wasmModule) alloc(size int) int {
	m.tb.Helper()
	off := m.call("rl_alloc", size)
	if off == 0 || off%16 != 0 {
		m.tb.Fatalf("rl_alloc(%d) = %d, want a non-zero multiple of 16", size, off)
	}
	return int(uint32(off))
}

// f32 allocates room for v (at least one float) and writes v there.
func (m *wasmModule) f32(v []float32) int {
	m.tb.Helper()
	off := m.alloc(4 * max(len(v), 1))
	m.writeF32(off, v)
	return off
}

func (m *wasmModule) writeF32(off int, v []float32) {
	m.tb.Helper()
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	if !m.mem.Write(uint32(off), b) {
		m.tb.Fatalf("write %d floats at %d: out of range", len(v), off)
	}
}

// i8 allocates room for v and writes v there.
func (m *wasmModule) i8(v []int8) int {
	m.tb.Helper()
	off := m.alloc(max(len(v), 1))
	b := make([]byte, len(v))
	for i, x := range v {
		b[i] = byte(x)
	}
	if !m.mem.Write(uint32(off), b) {
		m.tb.Fatalf("write %d bytes at %d: out of range", len(v), off)
	}
	return off
}

func (m *wasmModule) readF32(off, n int) []float32 {
	m.tb.Helper()
	b, ok := m.mem.Read(uint32(off), uint32(4*n))
	if !ok {
		m.tb.Fatalf("read %d floats at %d: out of range", n, off)
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

func random(r *rand.Rand, n int, scale float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = scale * (2*r.Float32() - 1)
	}
	return v
}

// reference returns kernels/scalar initialised for s.
func reference(tb testing.TB, s kernels.Shape) *scalar.Provider {
	tb.Helper()
	p := scalar.New()
	if err := p.Init(s); err != nil {
		tb.Fatal(err)
	}
	return p
}

func prepare(tb testing.TB, p kernels.Provider, t kernels.Tensor) kernels.Weight {
	tb.Helper()
	w, err := p.Prepare(t)
	if err != nil {
		tb.Fatal(err)
	}
	return w
}

// ropeRow is the host's RoPE table for one position (internal/ropetable, as the
// host computes it): the cosine and sine, interleaved, of pos·freq for each pair of
// a head.
func ropeRow(headSize, pos int) []float32 {
	cs := make([]float32, headSize)
	ropetable.Row(cs, ropetable.Frequencies(headSize), pos)
	return cs
}

func shape(dim, heads, kvHeads, seqLen int) kernels.Shape {
	return kernels.Shape{Dim: dim, HiddenDim: dim, Heads: heads, KVHeads: kvHeads, SeqLen: seqLen, VocabSize: 1}
}

func TestOps(t *testing.T) {
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			m := load(t, e.cfg())
			if rc := m.call("rl_init", 288, 768, 6, 6, 256, 32000); rc != 0 {
				t.Fatalf("rl_init(stories15M) = %d", rc)
			}
			if rc := m.call("rl_init", 7, 13, 1, 1, 37, 37); rc != 0 { // a conformance shape
				t.Fatalf("rl_init(dim 7, 1 head) = %d", rc)
			}
			r := rand.New(rand.NewPCG(1, 2))
			t.Run("matmul_f32", func(t *testing.T) { testMatMulF32(t, m, r) })
			t.Run("matmul_q8_0", func(t *testing.T) { testMatMulQ8(t, m, r) })
			t.Run("rmsnorm", func(t *testing.T) { testRMSNorm(t, m, r) })
			t.Run("rope", func(t *testing.T) { testRoPE(t, m, r) })
			t.Run("attention", func(t *testing.T) { testAttention(t, m, r) })
			t.Run("swiglu", func(t *testing.T) { testSwiGLU(t, m, r) })
			t.Run("softmax", func(t *testing.T) { testSoftmax(t, m, r) })
			t.Run("bad_args", func(t *testing.T) { testBadArgs(t, m, r) })
		})
	}
}

func testMatMulF32(t *testing.T, m *wasmModule, r *rand.Rand) {
	for _, nd := range [][2]int{{1, 1}, {7, 5}, {33, 10}, {288, 67}} {
		n, d := nd[0], nd[1]
		x, w := random(r, n, 1), random(r, n*d, 1)
		ref := reference(t, shape(8, 2, 2, 4))
		want := make([]float32, d)
		if err := ref.MatMul(want, prepare(t, ref, kernels.Tensor{Name: "w", DType: kernels.F32, Rows: d, Cols: n, F32: w}), x); err != nil {
			t.Fatal(err)
		}
		out := m.alloc(4 * d)
		m.op("rl_matmul_f32", out, m.f32(x), m.f32(w), n, d)
		kerneltest.AssertIdentical(t, fmt.Sprintf("%dx%d", d, n), m.readF32(out, d), want)
	}
}

func testMatMulQ8(t *testing.T, m *wasmModule, r *rand.Rand) {
	for _, c := range []struct{ n, d, gs int }{{1, 1, 1}, {7, 3, 1}, {10, 5, 2}, {64, 7, 32}, {288, 9, 32}} {
		x, w := random(r, c.n, 1), random(r, c.n*c.d, 1)
		if c.n >= 2*c.gs {
			clear(x[c.gs : 2*c.gs]) // an all-zero group: scale 0, values 0/0
		}
		wq, ws := make([]int8, len(w)), make([]float32, len(w)/c.gs)
		scalar.Quantize(wq, ws, w, c.gs)
		ref := reference(t, shape(8, 2, 2, 4))
		want := make([]float32, c.d)
		tensor := kernels.Tensor{Name: "wq", DType: kernels.Q8_0, Rows: c.d, Cols: c.n, Q8: wq, Scales: ws, GroupSize: c.gs}
		if err := ref.MatMul(want, prepare(t, ref, tensor), x); err != nil {
			t.Fatal(err)
		}
		out, xq, xs := m.alloc(4*c.d), m.alloc(c.n), m.alloc(4*(c.n/c.gs))
		m.op("rl_matmul_q8_0", out, m.f32(x), m.i8(wq), m.f32(ws), c.n, c.d, c.gs, xq, xs)
		kerneltest.AssertIdentical(t, fmt.Sprintf("%dx%d/gs%d", c.d, c.n, c.gs), m.readF32(out, c.d), want)
	}
}

func testRMSNorm(t *testing.T, m *wasmModule, r *rand.Rand) {
	for _, n := range []int{1, 7, 288} {
		for _, inPlace := range []bool{false, true} {
			x, w := random(r, n, 3), random(r, n, 1)
			ref := reference(t, shape(8, 2, 2, 4))
			want := make([]float32, n)
			if err := ref.RMSNorm(want, x, prepare(t, ref, kernels.Tensor{Name: "w", DType: kernels.F32, Rows: 1, Cols: n, F32: w})); err != nil {
				t.Fatal(err)
			}
			xo := m.f32(x)
			out := xo
			if !inPlace {
				out = m.alloc(4 * n)
			}
			m.op("rl_rmsnorm", out, xo, m.f32(w), n)
			kerneltest.AssertIdentical(t, fmt.Sprintf("n%d/inplace=%v", n, inPlace), m.readF32(out, n), want)
		}
	}
}

func testRoPE(t *testing.T, m *wasmModule, r *rand.Rand) {
	for _, c := range []struct{ dim, heads, kvHeads int }{{8, 2, 2}, {48, 4, 2}, {288, 6, 6}, {24, 6, 3}} {
		s := shape(c.dim, c.heads, c.kvHeads, 300)
		for _, pos := range []int{0, 1, 17, 255} {
			q, k := random(r, s.Dim, 1), random(r, s.KVDim(), 1)
			qo, ko := m.f32(q), m.f32(k)
			m.op("rl_rope", qo, ko, s.Dim, s.KVDim(), s.HeadSize(), m.f32(ropeRow(s.HeadSize(), pos)))
			if err := reference(t, s).RoPE(q, k, pos); err != nil {
				t.Fatal(err)
			}
			what := fmt.Sprintf("dim%d/heads%d/kv%d/pos%d", c.dim, c.heads, c.kvHeads, pos)
			kerneltest.AssertIdentical(t, what+"/q", m.readF32(qo, s.Dim), q)
			kerneltest.AssertIdentical(t, what+"/k", m.readF32(ko, s.KVDim()), k)
		}
	}
}

func testAttention(t *testing.T, m *wasmModule, r *rand.Rand) {
	for _, c := range []struct{ dim, heads, kvHeads int }{{24, 4, 2}, {48, 4, 2}, {15, 3, 3}, {32, 4, 1}} {
		s := shape(c.dim, c.heads, c.kvHeads, 32)
		for _, pos := range []int{0, 1, 5, 31} {
			q := random(r, s.Dim, 1)
			keys, values := random(r, (pos+1)*s.KVDim(), 1), random(r, (pos+1)*s.KVDim(), 1)
			want := make([]float32, s.Dim)
			if err := reference(t, s).Attention(want, q, keys, values, pos); err != nil {
				t.Fatal(err)
			}
			out, att := m.alloc(4*s.Dim), m.alloc(4*(pos+1))
			m.op("rl_attention", out, m.f32(q), m.f32(keys), m.f32(values), att, pos, s.Heads, s.KVHeads, s.HeadSize())
			kerneltest.AssertIdentical(t, fmt.Sprintf("dim%d/heads%d/kv%d/pos%d", c.dim, c.heads, c.kvHeads, pos), m.readF32(out, s.Dim), want)
		}
	}
}

func testSwiGLU(t *testing.T, m *wasmModule, r *rand.Rand) {
	for _, c := range []struct {
		n     int
		scale float32
	}{{1, 1}, {7, 4}, {768, 20}, {300, 120}} {
		gate, up := random(r, c.n, c.scale), random(r, c.n, 1)
		gateOff := m.f32(gate)
		m.op("rl_swiglu", gateOff, m.f32(up), c.n)
		scalar.SwiGLUInPlace(gate, up)
		kerneltest.AssertIdentical(t, fmt.Sprintf("n%d/scale%v", c.n, c.scale), m.readF32(gateOff, c.n), gate)
	}
}

func testSoftmax(t *testing.T, m *wasmModule, r *rand.Rand) {
	for _, c := range []struct {
		n     int
		scale float32
	}{{1, 1}, {7, 4}, {300, 30}, {512, 100}} {
		x := random(r, c.n, c.scale)
		xo := m.f32(x)
		m.op("rl_softmax", xo, c.n)
		scalar.SoftmaxInPlace(x)
		kerneltest.AssertIdentical(t, fmt.Sprintf("n%d/scale%v", c.n, c.scale), m.readF32(xo, c.n), x)
	}
}

// testBadArgs checks that an op refuses arguments it cannot work with by
// returning non-zero, leaving its in-place operands as they were.
func testBadArgs(t *testing.T, m *wasmModule, r *rand.Rand) {
	x := random(r, 10, 1)
	xo, xq, xs, out := m.f32(x), m.alloc(10), m.alloc(40), m.alloc(40)
	if rc := m.call("rl_matmul_q8_0", out, xo, m.i8(make([]int8, 30)), m.f32(make([]float32, 10)), 10, 3, 3, xq, xs); rc == 0 {
		t.Error("rl_matmul_q8_0 with group size 3 for n = 10 returned 0")
	}
	if rc := m.call("rl_rope", xo, xo, 10, 10, 5, m.f32(make([]float32, 5))); rc == 0 {
		t.Error("rl_rope with head size 5 returned 0")
	}
	if rc := m.call("rl_softmax", xo, -1); rc == 0 {
		t.Error("rl_softmax with n = -1 returned 0")
	}
	if rc := m.call("rl_init", 288, 768, 6, 4, 256, 32000); rc == 0 {
		t.Error("rl_init with 6 heads and 4 KV heads returned 0")
	}
	kerneltest.AssertIdentical(t, "x after refused calls", m.readF32(xo, 10), x)
}

// TestNoGrowth runs every op a few hundred times at stories15M's sizes and
// checks that the module's memory never grows: the host treats growth
// during an op call as an error.
func TestNoGrowth(t *testing.T) {
	m := load(t, wazero.NewRuntimeConfig())
	const dim, hidden, heads, seqLen, gs = 288, 768, 6, 256, 32
	hs := dim / heads
	r := rand.New(rand.NewPCG(3, 4))
	w, w2 := m.f32(random(r, dim*hidden, 1)), m.f32(random(r, dim*hidden, 1))
	wq := make([]int8, dim*hidden)
	ws := make([]float32, dim*hidden/gs)
	scalar.Quantize(wq, ws, random(r, dim*hidden, 1), gs)
	wqo, wso := m.i8(wq), m.f32(ws)
	x, h, h2 := m.f32(random(r, dim, 1)), m.f32(random(r, hidden, 1)), m.f32(random(r, hidden, 1))
	xq, xs := m.alloc(hidden), m.alloc(4*hidden/gs)
	q, k := m.f32(random(r, dim, 1)), m.f32(random(r, dim, 1))
	keys, values := m.f32(random(r, seqLen*dim, 1)), m.f32(random(r, seqLen*dim, 1))
	att, out, cs := m.alloc(4*seqLen), m.alloc(4*hidden), m.f32(ropeRow(hs, 7))
	logits := m.f32(random(r, 512, 10))

	before := m.mem.Size()
	for pos := range 300 {
		m.op("rl_matmul_f32", h, x, w, dim, hidden)
		m.op("rl_matmul_f32", out, h2, w2, hidden, dim)
		m.op("rl_matmul_q8_0", out, h, wqo, wso, hidden, dim, gs, xq, xs)
		m.op("rl_matmul_q8_0", out, x, wqo, wso, dim, hidden, gs, xq, xs)
		m.op("rl_rmsnorm", x, x, w, dim)
		m.op("rl_rope", q, k, dim, dim, hs, cs)
		m.op("rl_attention", out, q, keys, values, att, pos%seqLen, heads, heads, hs)
		m.op("rl_swiglu", h, h2, hidden)
		m.op("rl_softmax", logits, 512)
		m.writeF32(x, random(r, dim, 1)) // keep the values finite
		m.writeF32(h, random(r, hidden, 1))
	}
	if after := m.mem.Size(); after != before {
		t.Errorf("memory grew during op calls: %d bytes before, %d after", before, after)
	}
}

// TestImports checks that the module imports nothing but WASI, and exports
// what the ABI requires plus every op.
func TestImports(t *testing.T) {
	bin, err := os.ReadFile(wasmFile)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	cm, err := r.CompileModule(ctx, bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range cm.ImportedFunctions() {
		if mod, name, _ := f.Import(); mod != wasi_snapshot_preview1.ModuleName {
			t.Errorf("imports %s.%s", mod, name)
		}
	}
	if len(cm.ImportedMemories()) != 0 {
		t.Error("imports a memory")
	}
	exports := cm.ExportedFunctions()
	for _, name := range []string{"_initialize", "rl_abi_version", "rl_alloc", "rl_init",
		"rl_matmul_f32", "rl_matmul_q8_0", "rl_rmsnorm", "rl_rope", "rl_attention", "rl_swiglu", "rl_softmax"} {
		if _, ok := exports[name]; !ok {
			t.Errorf("does not export %s", name)
		}
	}
	if _, ok := cm.ExportedMemories()["memory"]; !ok {
		t.Error("does not export memory")
	}
}

// TestUpToDate rebuilds the module with build.sh and checks that the
// committed goexample.wasm has the same bytes, when the pinned Go version
// is the one running the tests.
func TestUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module")
	}
	if v := runtime.Version(); v != "go1.26.8" {
		t.Skipf("goexample.wasm is built with go1.26.8, this is %s", v)
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command in PATH")
	}
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "goexample.wasm")
	cmd := exec.Command("plugins/wasm/goexample/build.sh", out)
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("build.sh: %v\n%s", err, msg) // e.g. PATH's go is not go1.26.8
	}
	built, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile(wasmFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(built, committed) {
		t.Error("goexample.wasm is stale: run plugins/wasm/goexample/build.sh and commit it")
	}
}

// BenchmarkMatMul compares the module's rl_matmul_f32 at 288×288 (the
// call alone: weights and x stay in the module's memory) with
// kernels/scalar running natively.
func BenchmarkMatMul(b *testing.B) {
	const n, d = 288, 288
	r := rand.New(rand.NewPCG(5, 6))
	x, w := random(r, n, 1), random(r, n*d, 1)
	flops := func(b *testing.B) {
		b.ReportMetric(2*n*d*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	}
	for _, e := range engines() {
		b.Run("wasm/"+e.name, func(b *testing.B) {
			m := load(b, e.cfg())
			out, xo, wo := m.alloc(4*d), m.f32(x), m.f32(w)
			f := m.mod.ExportedFunction("rl_matmul_f32")
			args := []uint64{uint64(out), uint64(xo), uint64(wo), n, d}
			for b.Loop() {
				if _, err := f.Call(m.ctx, args...); err != nil {
					b.Fatal(err)
				}
			}
			flops(b)
		})
	}
	b.Run("scalar", func(b *testing.B) {
		p := reference(b, shape(8, 2, 2, 4))
		wt := prepare(b, p, kernels.Tensor{Name: "w", DType: kernels.F32, Rows: d, Cols: n, F32: w})
		out := make([]float32, d)
		for b.Loop() {
			p.MatMul(out, wt, x)
		}
		flops(b)
	})
}
