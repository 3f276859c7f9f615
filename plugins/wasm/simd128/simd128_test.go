package simd128_test

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
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/retrollama/retrollama/internal/kernels/kerneltest"
	"github.com/retrollama/retrollama/internal/ropetable"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/mathf"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// wasmFile is the module under test: the committed build of kernels.c.
const wasmFile = "simd128.wasm"

// testMemoryPages caps the tests' module memory (64 MiB), so that a
// runaway rl_alloc fails instead of taking the machine's memory.
const testMemoryPages = 1024

// engines are the wazero engines every test runs under.
var engines = []struct {
	name   string
	config func() wazero.RuntimeConfig
}{
	{"compiler", wazero.NewRuntimeConfigCompiler},
	{"interpreter", wazero.NewRuntimeConfigInterpreter},
}

// abi lists the ABI's function exports and their signatures (all i32).
var abi = map[string]struct{ params, results int }{
	"rl_abi_version": {0, 1},
	"rl_alloc":       {1, 1},
	"rl_init":        {6, 1},
	"rl_matmul_f32":  {5, 1},
	"rl_matmul_q8_0": {9, 1},
	"rl_rmsnorm":     {4, 1},
	"rl_rope":        {6, 1},
	"rl_attention":   {9, 1},
	"rl_swiglu":      {3, 1},
	"rl_softmax":     {2, 1},
}

// module is one instance of the module under test.
type module struct {
	tb    testing.TB
	ctx   context.Context
	mod   api.Module
	mem   api.Memory
	fns   map[string]api.Function
	stack []uint64
}

var (
	wasmOnce  sync.Once
	wasmBytes []byte
	wasmErr   error
)

func readWasm(tb testing.TB) []byte {
	tb.Helper()
	wasmOnce.Do(func() { wasmBytes, wasmErr = os.ReadFile(wasmFile) })
	if wasmErr != nil {
		tb.Fatalf("%v (build it with ./build.sh)", wasmErr)
	}
	return wasmBytes
}

// newRuntime returns a runtime of config with memory capped at pages, or
// skips tb when the engine does not run here (wazero's compiler panics on
// unsupported platforms).
func newRuntime(tb testing.TB, config func() wazero.RuntimeConfig, pages uint32) (r wazero.Runtime) {
	tb.Helper()
	ctx := context.Background()
	func() {
		defer func() {
			if e := recover(); e != nil {
				tb.Skipf("engine not supported on %s/%s: %v", runtime.GOOS, runtime.GOARCH, e)
			}
		}()
		cfg := config()
		if pages > 0 {
			cfg = cfg.WithMemoryLimitPages(pages)
		}
		r = wazero.NewRuntimeWithConfig(ctx, cfg)
	}()
	tb.Cleanup(func() { r.Close(ctx) })
	return r
}

// load instantiates the module under test in a fresh runtime.
func load(tb testing.TB, config func() wazero.RuntimeConfig, pages uint32) *module {
	tb.Helper()
	ctx := context.Background()
	r := newRuntime(tb, config, pages)
	mod, err := r.Instantiate(ctx, readWasm(tb))
	if err != nil {
		tb.Fatal(err)
	}
	m := &module{tb: tb, ctx: ctx, mod: mod, mem: mod.Memory(), fns: map[string]api.Function{}, stack: make([]uint64, 16)}
	if m.mem == nil {
		tb.Fatal("module exports no memory")
	}
	return m
}

func (m *module) fn(name string) api.Function {
	f, ok := m.fns[name]
	if !ok {
		if f = m.mod.ExportedFunction(name); f == nil {
			m.tb.Fatalf("module exports no %s", name)
		}
		m.fns[name] = f
	}
	return f
}

// call calls an export with i32 arguments and returns its i32 result.
func (m *module) call(name string, args ...uint32) uint32 {
	m.tb.Helper()
	stack := m.stack[:max(len(args), 1)]
	for i, a := range args {
		stack[i] = api.EncodeU32(a)
	}
	if err := m.fn(name).CallWithStack(m.ctx, stack); err != nil {
		m.tb.Fatalf("%s%v: %v", name, args, err)
	}
	return api.DecodeU32(stack[0])
}

// op calls an op, which must succeed without growing memory.
func (m *module) op(name string, args ...uint32) {
	m.tb.Helper()
	size := m.mem.Size()
	if rc := m.call(name, args...); rc != 0 {
		m.tb.Fatalf("%s%v returned %d", name, args, rc)
	}
	if m.mem.Size() != size {
		m.tb.Fatalf("%s%v grew memory from %d to %d bytes", name, args, size, m.mem.Size())
	}
}

// alloc returns the offset of n fresh bytes of module memory.
func (m *module) alloc(n int) uint32 {
	m.tb.Helper()
	off := m.call("rl_alloc", uint32(n))
	if off == 0 {
		m.tb.Fatalf("rl_alloc(%d) failed", n)
	}
	if off%16 != 0 {
		m.tb.Fatalf("rl_alloc(%d) = %#x, not 16-byte aligned", n, off)
	}
	return off
}

func (m *module) bytes(off uint32, n int) []byte {
	m.tb.Helper()
	b, ok := m.mem.Read(off, uint32(n))
	if !ok {
		m.tb.Fatalf("[%#x, +%d) is outside memory", off, n)
	}
	return b
}

func (m *module) putF32(off uint32, v []float32) {
	b := m.bytes(off, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
}

func (m *module) getF32(off uint32, n int) []float32 {
	b := m.bytes(off, 4*n)
	v := make([]float32, n)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

func (m *module) putI8(off uint32, v []int8) {
	b := m.bytes(off, len(v))
	for i, x := range v {
		b[i] = byte(x)
	}
}

func (m *module) getI8(off uint32, n int) []int8 {
	v := make([]int8, n)
	for i, x := range m.bytes(off, n) {
		v[i] = int8(x)
	}
	return v
}

// f32s allocates module memory holding v.
func (m *module) f32s(v []float32) uint32 {
	off := m.alloc(4*len(v) + 4) // + 4: never a zero-size buffer
	m.putF32(off, v)
	return off
}

// forEngines runs test once per engine on a fresh module.
func forEngines(t *testing.T, test func(t *testing.T, m *module)) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) { test(t, load(t, e.config, testMemoryPages)) })
	}
}

// reference returns the scalar provider initialised for s.
func reference(t *testing.T, s kernels.Shape) *scalar.Provider {
	t.Helper()
	p := scalar.New()
	if err := p.Init(s); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func prepare(t *testing.T, p *scalar.Provider, tensor kernels.Tensor) kernels.Weight {
	t.Helper()
	w, err := p.Prepare(tensor)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestExports(t *testing.T) {
	r := newRuntime(t, wazero.NewRuntimeConfigInterpreter, 0)
	c, err := r.CompileModule(context.Background(), readWasm(t))
	if err != nil {
		t.Fatal(err)
	}
	if imp := c.ImportedFunctions(); len(imp) > 0 {
		t.Errorf("module imports %d functions, want none", len(imp))
	}
	if imp := c.ImportedMemories(); len(imp) > 0 {
		t.Errorf("module imports %d memories, want none", len(imp))
	}
	if _, ok := c.ExportedMemories()["memory"]; !ok {
		t.Error(`module exports no "memory"`)
	}
	fns := c.ExportedFunctions()
	for name, sig := range abi {
		f, ok := fns[name]
		if !ok {
			t.Errorf("module exports no %s", name)
			continue
		}
		want := func(n int) []api.ValueType { return slices.Repeat([]api.ValueType{api.ValueTypeI32}, n) }
		if !slices.Equal(f.ParamTypes(), want(sig.params)) || !slices.Equal(f.ResultTypes(), want(sig.results)) {
			t.Errorf("%s: params %v results %v, want %d and %d i32", name, f.ParamTypes(), f.ResultTypes(), sig.params, sig.results)
		}
	}
}

func TestLifecycle(t *testing.T) {
	forEngines(t, func(t *testing.T, m *module) {
		if v := m.call("rl_abi_version"); v != 1 {
			t.Errorf("rl_abi_version() = %d, want 1", v)
		}
		if rc := m.call("rl_init", 288, 768, 6, 6, 256, 32000); rc != 0 {
			t.Errorf("rl_init(stories15M) = %d, want 0", rc)
		}
		if rc := m.call("rl_init", 64, 172, 8, 4, 512, 512); rc != 0 {
			t.Errorf("rl_init(stories260K) = %d, want 0", rc)
		}
		if rc := m.call("rl_init", 288, 768, 6, 4, 256, 32000); rc == 0 {
			t.Error("rl_init accepts 6 heads over 4 KV heads")
		}
		if rc := m.call("rl_init", 288, 768, 0, 0, 256, 32000); rc == 0 {
			t.Error("rl_init accepts 0 heads")
		}
		var last uint32
		for _, n := range []int{0, 1, 3, 16, 17, 100000, 1 << 20} {
			off := m.alloc(n)
			if off < last {
				t.Errorf("rl_alloc(%d) = %#x, below the previous block's end %#x", n, off, last)
			}
			last = off + uint32(n)
			if uint64(last) > uint64(m.mem.Size()) {
				t.Errorf("rl_alloc(%d) = %#x, but memory ends at %#x", n, off, m.mem.Size())
			}
		}
		for _, n := range []uint32{testMemoryPages << 16, 1<<31 - 1, 1 << 31, math.MaxUint32 - 15, math.MaxUint32} {
			if off := m.call("rl_alloc", n); off != 0 {
				t.Errorf("rl_alloc(%d) = %#x, want 0 (memory is capped at %d MiB)", n, off, testMemoryPages>>4)
			}
		}
		off := m.alloc(64) // still works after a failure
		if off < last {
			t.Errorf("rl_alloc(64) = %#x after failures, below %#x", off, last)
		}
	})
}

// TestMatMulF32: rl_matmul_f32 gives the reference's bits, as every
// export does (lanes across rows, each row summed in order): 1 to 37 rows
// (around the passes of eight and four rows and the lone rows), columns
// around the steps of four and the blocks of 32, and wider matrices that
// take the block loop (n ≥ 512).
func TestMatMulF32(t *testing.T) {
	var shapes [][2]int // d, n
	for d := 1; d <= 37; d++ {
		for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 64, 288, 289} {
			shapes = append(shapes, [2]int{d, n})
		}
	}
	shapes = append(shapes, [2]int{288, 288}, [2]int{13, 768}, [2]int{9, 1000}, [2]int{0, 5}, [2]int{3, 0})
	forEngines(t, func(t *testing.T, m *module) {
		r := rand.New(rand.NewPCG(1, 2))
		for _, sh := range shapes {
			d, n := sh[0], sh[1]
			w, x := kerneltest.Uniform(r, d*n, -1, 1), kerneltest.Uniform(r, n, -1, 1)
			if n > 2 && d > 1 { // signed zeros: -0 products, and a row whose sum is -0 + -0 in the reference's order
				w[1], x[2] = float32(math.Copysign(0, -1)), 0
				for j := range n {
					w[n+j] = float32(math.Copysign(0, -1))
				}
			}
			ref := reference(t, kernels.Shape{Dim: n, HiddenDim: n, Heads: 1, KVHeads: 1, SeqLen: 1})
			want := make([]float32, d)
			if err := ref.MatMul(want, prepare(t, ref, kernels.Tensor{Name: "w", DType: kernels.F32, Rows: d, Cols: n, F32: w}), x); err != nil {
				t.Fatal(err)
			}
			out, xo, wo := m.alloc(4*d+4), m.f32s(x), m.f32s(w)
			m.op("rl_matmul_f32", out, xo, wo, uint32(n), uint32(d))
			kerneltest.AssertIdentical(t, fmt.Sprintf("matmul %dx%d", d, n), m.getF32(out, d), want)
		}
	})
}

func TestMatMulQ8(t *testing.T) {
	forEngines(t, func(t *testing.T, m *module) {
		r := rand.New(rand.NewPCG(3, 4))
		for _, gs := range []int{1, 2, 3, 4, 8, 12, 16, 24, 32, 48, 64} {
			for _, groups := range []int{1, 3, 5} {
				for _, d := range []int{1, 3, 4, 5, 9} {
					n := gs * groups
					testQ8(t, m, r, d, n, gs, false)
				}
			}
		}
		testQ8(t, m, r, 8, 288, 32, true)
		testQ8(t, m, r, 5, 96, 16, true)
		testQ8(t, m, r, 3, 48, 8, true)
		testQ8(t, m, r, 3, 18, 3, true)
		testQ8(t, m, r, 12, 768, 64, false)
	})
}

// testQ8 compares one Q8_0 matmul with the reference, bits and scratch.
// special puts into x groups whose quotients are ties, an all-zero group,
// a NaN, an Inf group and groups of tiny (subnormal-scale) values.
func testQ8(t *testing.T, m *module, r *rand.Rand, d, n, gs int, special bool) {
	t.Helper()
	what := fmt.Sprintf("q8 matmul %dx%d gs %d", d, n, gs)
	w, x := kerneltest.Uniform(r, d*n, -1, 1), kerneltest.Uniform(r, n, -3, 3)
	for i := range w {
		if r.IntN(50) == 0 {
			w[i] = 0
		}
	}
	if special {
		what += " special"
		groups := n / gs
		for g := range groups {
			group := x[g*gs : (g+1)*gs]
			switch g % 6 {
			case 0: // scale 1: ties at .5, rounded away from zero
				for i := range group {
					group[i] = float32(r.IntN(253)-126) + 0.5
				}
				group[r.IntN(gs)] = 127
			case 1:
				clear(group)
			case 2:
				group[r.IntN(gs)] = float32(math.NaN())
			case 3:
				for i := range group {
					group[i] *= 1e-39 // scale ~1e-41: subnormal, inexact quotients
				}
			case 5: // multiples of the least subnormal up to 190 of them:
				// scale rounds to 1 of them and 190 wraps to int8 -66
				for i := range group {
					group[i] = float32(r.IntN(381)-190) * 0x1p-149
				}
				group[r.IntN(gs)] = 190 * 0x1p-149
			case 4:
				if g == groups-1 { // one Inf group (NaN results) at most
					group[0] = float32(math.Inf(-1))
				}
			}
		}
	}
	tensor := kernels.Tensor{Name: "wq", DType: kernels.Q8_0, Rows: d, Cols: n, GroupSize: gs,
		Q8: make([]int8, d*n), Scales: make([]float32, d*n/gs)}
	scalar.Quantize(tensor.Q8, tensor.Scales, w, gs)
	for i := range tensor.Scales { // vary the scales beyond the quantizer's
		if r.IntN(7) == 0 {
			tensor.Scales[i] *= -3.25
		}
	}
	ref := reference(t, kernels.Shape{Dim: n, HiddenDim: n, Heads: 1, KVHeads: 1, SeqLen: 1})
	want := make([]float32, d)
	if err := ref.MatMul(want, prepare(t, ref, tensor), x); err != nil {
		t.Fatal(err)
	}
	wantQ, wantS := make([]int8, n), make([]float32, n/gs)
	scalar.Quantize(wantQ, wantS, x, gs)

	out, xo := m.alloc(4*d), m.f32s(x)
	wq, ws := m.alloc(d*n), m.f32s(tensor.Scales)
	m.putI8(wq, tensor.Q8)
	xq, xs := m.alloc(n), m.alloc(4*(n/gs))
	m.op("rl_matmul_q8_0", out, xo, wq, ws, uint32(n), uint32(d), uint32(gs), xq, xs)
	kerneltest.AssertIdentical(t, what, m.getF32(out, d), want)
	kerneltest.AssertIdentical(t, what+" xs", m.getF32(xs, n/gs), wantS)
	got := m.getI8(xq, n)
	for i := range wantQ {
		if got[i] != wantQ[i] {
			t.Errorf("%s: xq[%d] = %d, want %d (x = %g, scale %g)", what, i, got[i], wantQ[i], x[i], wantS[i/gs])
			break
		}
	}
	if m.call("rl_matmul_q8_0", out, xo, wq, ws, uint32(n), uint32(d), uint32(gs+1), xq, xs) == 0 && n%(gs+1) != 0 {
		t.Errorf("%s: accepts group size %d", what, gs+1)
	}
}

func TestRMSNorm(t *testing.T) {
	forEngines(t, func(t *testing.T, m *module) {
		r := rand.New(rand.NewPCG(5, 6))
		for _, n := range []int{1, 2, 3, 4, 5, 8, 17, 64, 288, 767, 768} {
			for _, inPlace := range []bool{false, true} {
				x, w := kerneltest.Uniform(r, n, -4, 4), kerneltest.Uniform(r, n, -2, 2)
				ref := reference(t, kernels.Shape{Dim: n, HiddenDim: n, Heads: 1, KVHeads: 1, SeqLen: 1})
				want := make([]float32, n)
				if err := ref.RMSNorm(want, x, prepare(t, ref, kernels.Tensor{Name: "w", DType: kernels.F32, Rows: 1, Cols: n, F32: w})); err != nil {
					t.Fatal(err)
				}
				xo, wo := m.f32s(x), m.f32s(w)
				out := xo
				if !inPlace {
					out = m.alloc(4 * n)
				}
				m.op("rl_rmsnorm", out, xo, wo, uint32(n))
				kerneltest.AssertIdentical(t, fmt.Sprintf("rmsnorm %d in place %v", n, inPlace), m.getF32(out, n), want)
			}
		}
	})
}

// ropeTable returns the host's RoPE table at pos: the cosine and sine of
// every pair of a head, as the host computes them
// (internal/ropetable, scalar's expressions).
func ropeTable(headSize, pos int) []float32 {
	cs := make([]float32, headSize)
	ropetable.Row(cs, ropetable.Frequencies(headSize), pos)
	return cs
}

func TestRoPE(t *testing.T) {
	shapes := []struct{ heads, kvHeads, headSize int }{
		{4, 2, 8}, {6, 6, 48}, {3, 1, 6}, {2, 2, 2}, {4, 4, 10}, {1, 1, 64}, {8, 4, 8}, {2, 1, 128},
	}
	forEngines(t, func(t *testing.T, m *module) {
		r := rand.New(rand.NewPCG(7, 8))
		for _, s := range shapes {
			for _, pos := range []int{0, 1, 5, 255, 4095} {
				dim, kvDim := s.heads*s.headSize, s.kvHeads*s.headSize
				q, k := kerneltest.Uniform(r, dim, -2, 2), kerneltest.Uniform(r, kvDim, -2, 2)
				ref := reference(t, kernels.Shape{Dim: dim, HiddenDim: dim, Heads: s.heads, KVHeads: s.kvHeads, SeqLen: pos + 1})
				wantQ, wantK := slices.Clone(q), slices.Clone(k)
				if err := ref.RoPE(wantQ, wantK, pos); err != nil {
					t.Fatal(err)
				}
				qo, ko, cs := m.f32s(q), m.f32s(k), m.f32s(ropeTable(s.headSize, pos))
				m.op("rl_rope", qo, ko, uint32(dim), uint32(kvDim), uint32(s.headSize), cs)
				what := fmt.Sprintf("rope %d heads %d kv heads × %d pos %d", s.heads, s.kvHeads, s.headSize, pos)
				kerneltest.AssertIdentical(t, what+" q", m.getF32(qo, dim), wantQ)
				kerneltest.AssertIdentical(t, what+" k", m.getF32(ko, kvDim), wantK)
			}
		}
	})
}

func TestAttention(t *testing.T) {
	shapes := []struct{ heads, kvHeads, headSize int }{
		{4, 2, 8}, {6, 6, 48}, {3, 1, 5}, {2, 2, 20}, {1, 1, 3}, {8, 2, 16}, {2, 1, 36}, {2, 2, 7},
		{2, 1, 64}, {1, 1, 131}, {2, 2, 252}, // the blocks of 128 and more
	}
	forEngines(t, func(t *testing.T, m *module) {
		r := rand.New(rand.NewPCG(9, 10))
		for _, s := range shapes {
			for _, pos := range []int{0, 1, 2, 3, 4, 7, 40, 255} {
				dim, kvDim := s.heads*s.headSize, s.kvHeads*s.headSize
				q := kerneltest.Uniform(r, dim, -2, 2)
				keys, values := kerneltest.Uniform(r, (pos+1)*kvDim, -2, 2), kerneltest.Uniform(r, (pos+1)*kvDim, -3, 3)
				ref := reference(t, kernels.Shape{Dim: dim, HiddenDim: dim, Heads: s.heads, KVHeads: s.kvHeads, SeqLen: pos + 1})
				want := make([]float32, dim)
				if err := ref.Attention(want, q, keys, values, pos); err != nil {
					t.Fatal(err)
				}
				out, qo, ko, vo, att := m.alloc(4*dim), m.f32s(q), m.f32s(keys), m.f32s(values), m.alloc(4*(pos+1))
				m.op("rl_attention", out, qo, ko, vo, att, uint32(pos), uint32(s.heads), uint32(s.kvHeads), uint32(s.headSize))
				kerneltest.AssertIdentical(t, fmt.Sprintf("attention %d heads %d kv heads × %d pos %d", s.heads, s.kvHeads, s.headSize, pos), m.getF32(out, dim), want)
			}
		}
	})
}

func TestSwiGLU(t *testing.T) {
	forEngines(t, func(t *testing.T, m *module) {
		r := rand.New(rand.NewPCG(11, 12))
		for _, n := range []int{1, 2, 3, 4, 7, 16, 172, 768, 2048} {
			gate, up := kerneltest.Uniform(r, n, -12, 12), kerneltest.Uniform(r, n, -3, 3)
			if n > 8 {
				gate[0], gate[1], gate[2], gate[3] = 100, -100, 0, float32(math.Copysign(0, -1))
				gate[4], gate[5] = 88.7, -104
			}
			want := slices.Clone(gate)
			scalar.SwiGLUInPlace(want, up)
			g, u := m.f32s(gate), m.f32s(up)
			m.op("rl_swiglu", g, u, uint32(n))
			kerneltest.AssertIdentical(t, fmt.Sprintf("swiglu %d", n), m.getF32(g, n), want)
		}
	})
}

func TestSoftmax(t *testing.T) {
	forEngines(t, func(t *testing.T, m *module) {
		r := rand.New(rand.NewPCG(13, 14))
		for _, n := range []int{1, 2, 3, 4, 5, 17, 256, 1000, 32000} {
			for _, spread := range []float32{1, 30} {
				x := kerneltest.Uniform(r, n, -spread, spread)
				if n > 4 {
					x[1], x[3] = float32(math.Inf(-1)), -200
				}
				want := slices.Clone(x)
				scalar.SoftmaxInPlace(want)
				xo := m.f32s(x)
				m.op("rl_softmax", xo, uint32(n))
				kerneltest.AssertIdentical(t, fmt.Sprintf("softmax %d ±%g", n, spread), m.getF32(xo, n), want)
			}
		}
		m.op("rl_softmax", m.alloc(16), 0)
	})
}

// expSpecials are arguments at expf's edges.
func expSpecials() []float32 {
	inf := float32(math.Inf(1))
	v := []float32{0, float32(math.Copysign(0, -1)), 1, -1, inf, -inf, float32(math.NaN()),
		88, 0x1.62e42ep6, 0x1.62e430p6, -0x1.9fe368p6, -0x1.9fe36ap6, -87.33655, -103.97, -104,
		1e-45, -1e-45, 0x1p-126, -0x1p-126, math.MaxFloat32, -math.MaxFloat32, 0.5, -0.5, 1e-8, 3.4657359}
	for _, b := range []uint32{0x7f800001, 0x7fc00000, 0xffc00001, 0x42b00000, 0xc2b00000, 0x42affffe, 0xc2cff1b4, 0xc2cff1b5} {
		v = append(v, math.Float32frombits(b))
	}
	return v
}

// expChecker runs the module's expf (rl_test_expf) on batches of inputs
// and counts the results that differ from mathf.Exp.
type expChecker struct {
	m       *module
	in, out uint32
}

const expBatch = 1 << 16

func newExpChecker(m *module) *expChecker {
	return &expChecker{m: m, in: m.alloc(4 * expBatch), out: m.alloc(4 * expBatch)}
}

// check returns how many of x (at most expBatch) differ, reporting the
// first few through t; simd selects the module's f64x2 expf (expf4) over
// its scalar one.
func (c *expChecker) check(t *testing.T, x []float32, simd bool, reported *atomic.Int64) int {
	c.m.putF32(c.in, x)
	var s uint32
	if simd {
		s = 1
	}
	c.m.op("rl_test_expf", c.out, c.in, uint32(len(x)), s)
	got := c.m.bytes(c.out, 4*len(x))
	bad := 0
	for i, v := range x {
		g := math.Float32frombits(binary.LittleEndian.Uint32(got[4*i:]))
		if want := mathf.Exp(v); !kerneltest.Same(g, want) {
			bad++
			if reported.Add(1) <= 10 {
				t.Errorf("expf(%g = %#08x) = %#08x, want %#08x", v, math.Float32bits(v), math.Float32bits(g), math.Float32bits(want))
			}
		}
	}
	return bad
}

// TestExp compares the module's expf, both its scalar code and its f64x2
// one (four at a time, as softmax and SwiGLU use it), with mathf.Exp
// (glibc's): on the special arguments, alone and four alike, on 2^20
// random arguments (2^16 with the interpreter; half of them random bit
// patterns, half uniform in [-110, 90)) and, with the
// compiler, on every 251st bit pattern (every 4093rd with -short). With
// RETROLLAMA_WASM_EXHAUSTIVE set it checks all 2^32 float32 bit patterns
// instead (about 3 minutes on two cores for the two; 0 mismatches when
// last run).
func TestExp(t *testing.T) {
	exhaustive := os.Getenv("RETROLLAMA_WASM_EXHAUSTIVE") != ""
	for _, e := range engines {
		for _, simd := range []bool{false, true} {
			name := e.name + "/scalar"
			if simd {
				name = e.name + "/simd"
			}
			t.Run(name, func(t *testing.T) {
				var reported atomic.Int64
				m := load(t, e.config, testMemoryPages)
				c := newExpChecker(m)
				var specials []float32
				for _, x := range expSpecials() {
					specials = append(specials, x, x, x, x)
				}
				bad := c.check(t, expSpecials(), simd, &reported) + c.check(t, specials, simd, &reported)
				r := rand.New(rand.NewPCG(15, 16))
				random := 1 << 20
				if e.name == "interpreter" { // slow, the more so under -race
					random = 1 << 16
				}
				x := make([]float32, expBatch)
				for done := 0; done < random; done += expBatch {
					for i := range x {
						if done/expBatch%2 == 0 {
							x[i] = math.Float32frombits(r.Uint32())
						} else { // expf4 takes its f64x2 path only when all four are in range
							x[i] = -110 + 200*r.Float32()
						}
					}
					bad += c.check(t, x, simd, &reported)
				}
				t.Logf("%s expf: %d mismatches with mathf.Exp in %d special and random arguments", name, bad, len(expSpecials())*5+random)
				if e.name != "compiler" {
					return
				}
				step := uint64(251)
				if exhaustive {
					step = 1
				} else if testing.Short() {
					step = 4093
				}
				workers := uint64(1)
				if exhaustive {
					workers = uint64(runtime.GOMAXPROCS(0))
				}
				var total, checked atomic.Uint64
				var wg sync.WaitGroup
				for w := range workers {
					cw := c
					if w > 0 {
						cw = newExpChecker(load(t, e.config, testMemoryPages))
					}
					wg.Go(func() {
						x := make([]float32, 0, expBatch)
						var bad, n uint64
						flush := func() {
							bad += uint64(cw.check(t, x, simd, &reported))
							n += uint64(len(x))
							x = x[:0]
						}
						for b := w * step; b < 1<<32; b += workers * step {
							if x = append(x, math.Float32frombits(uint32(b))); len(x) == expBatch {
								flush()
							}
						}
						flush()
						total.Add(bad)
						checked.Add(n)
					})
				}
				wg.Wait()
				t.Logf("%s expf: %d mismatches with mathf.Exp in %d float32 bit patterns (every %d)", name, total.Load(), checked.Load(), step)
			})
		}
	}
}

// TestBuildReproducible rebuilds simd128.wasm with build.sh into a
// temporary file and compares it with the committed one, when the pinned
// toolchain (clang 14.0.6) is here.
func TestBuildReproducible(t *testing.T) {
	if v, err := exec.Command("clang", "--version").Output(); err != nil || !bytes.Contains(v, []byte("clang version 14.0.6")) {
		t.Skip("clang 14.0.6 not installed: cannot rebuild simd128.wasm")
	}
	out := filepath.Join(t.TempDir(), "simd128.wasm")
	if b, err := exec.Command("./build.sh", out).CombinedOutput(); err != nil {
		t.Fatalf("build.sh: %v\n%s", err, b)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, readWasm(t)) {
		t.Errorf("build.sh builds a different module (%d bytes) than the committed %s (%d bytes): rebuild it", len(got), wasmFile, len(readWasm(t)))
	}
}

// stories15MMatMuls are stories15M's matmul shapes, rows×cols: wq/wk/wv/
// wo, w1/w3, w2 and the classifier.
var stories15MMatMuls = [][2]int{{288, 288}, {768, 288}, {288, 768}, {32000, 288}}

// BenchmarkMatMulF32 measures rl_matmul_f32 on stories15M's shapes
// (compiler engine), in GFLOP/s (a multiply-add counts two flops).
func BenchmarkMatMulF32(b *testing.B) {
	for _, sh := range stories15MMatMuls {
		d, n := sh[0], sh[1]
		b.Run(fmt.Sprintf("%dx%d", d, n), func(b *testing.B) {
			m := load(b, wazero.NewRuntimeConfigCompiler, 0)
			r := rand.New(rand.NewPCG(1, 2))
			x, w := m.f32s(kerneltest.Uniform(r, n, -1, 1)), m.f32s(kerneltest.Uniform(r, d*n, -1, 1))
			out := m.alloc(4 * d)
			benchOp(b, m, "rl_matmul_f32", d, n, out, x, w, uint32(n), uint32(d))
		})
	}
}

// BenchmarkMatMulQ8 measures rl_matmul_q8_0 on stories15M's shapes in
// groups of 32 (its Q8_0 export's), x's quantization included.
func BenchmarkMatMulQ8(b *testing.B) {
	const gs = 32
	for _, sh := range stories15MMatMuls {
		d, n := sh[0], sh[1]
		b.Run(fmt.Sprintf("%dx%d", d, n), func(b *testing.B) {
			m := load(b, wazero.NewRuntimeConfigCompiler, 0)
			r := rand.New(rand.NewPCG(1, 2))
			q, s := make([]int8, d*n), make([]float32, d*n/gs)
			scalar.Quantize(q, s, kerneltest.Uniform(r, d*n, -1, 1), gs)
			x, ws := m.f32s(kerneltest.Uniform(r, n, -1, 1)), m.f32s(s)
			wq := m.alloc(d * n)
			m.putI8(wq, q)
			out, xq, xs := m.alloc(4*d), m.alloc(n), m.alloc(4*n/gs)
			benchOp(b, m, "rl_matmul_q8_0", d, n, out, x, wq, ws, uint32(n), uint32(d), gs, xq, xs)
		})
	}
}

// benchOp calls a d×n matmul export in a loop through a preallocated
// stack and reports GFLOP/s.
func benchOp(b *testing.B, m *module, name string, d, n int, args ...uint32) {
	f := m.fn(name)
	stack := make([]uint64, len(args))
	ctx := context.Background()
	for b.Loop() {
		for i, a := range args {
			stack[i] = api.EncodeU32(a)
		}
		if err := f.CallWithStack(ctx, stack); err != nil || stack[0] != 0 {
			b.Fatalf("%s: %v, returned %d", name, err, stack[0])
		}
	}
	b.ReportMetric(2*float64(d)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkAttention measures rl_attention at stories15M's shape (6 heads
// of 48) over 64 and 256 cache rows (compiler engine).
func BenchmarkAttention(b *testing.B) {
	const heads, kvHeads, headSize = 6, 6, 48
	for _, pos := range []int{63, 255} {
		b.Run(fmt.Sprintf("pos%d", pos), func(b *testing.B) {
			m := load(b, wazero.NewRuntimeConfigCompiler, 0)
			r := rand.New(rand.NewPCG(1, 2))
			dim, kvDim := heads*headSize, kvHeads*headSize
			q := m.f32s(kerneltest.Uniform(r, dim, -2, 2))
			keys, values := m.f32s(kerneltest.Uniform(r, (pos+1)*kvDim, -2, 2)), m.f32s(kerneltest.Uniform(r, (pos+1)*kvDim, -2, 2))
			out, att := m.alloc(4*dim), m.alloc(4*(pos+1))
			f := m.fn("rl_attention")
			stack := make([]uint64, 9)
			args := []uint32{out, q, keys, values, att, uint32(pos), heads, kvHeads, headSize}
			ctx := context.Background()
			for b.Loop() {
				for i, a := range args {
					stack[i] = api.EncodeU32(a)
				}
				if err := f.CallWithStack(ctx, stack); err != nil || stack[0] != 0 {
					b.Fatalf("rl_attention: %v, returned %d", err, stack[0])
				}
			}
		})
	}
}

// checkedCompiler is the compiler engine as wasmhost runs a module under
// a timeout: with wazero's termination checks, a call into Go at the
// header of every loop iteration (WithCloseOnContextDone).
func checkedCompiler() wazero.RuntimeConfig {
	return wazero.NewRuntimeConfigCompiler().WithCloseOnContextDone(true)
}

// BenchmarkOps times every op at stories15M's shapes (dim 288, hidden
// 768, 6 heads of 48, Q8_0 groups of 32), on the compiler engine with
// the termination checks the host's timeout adds ("checks", what ships)
// and without them ("nochecks"): each loop iteration of the module pays
// a check, so checks/nochecks − 1 is what its loop structure costs.
//
//	go test -run XXX -bench Ops -count 3 ./plugins/wasm/simd128
func BenchmarkOps(b *testing.B) {
	const dim, hidden, heads, headSize, gs = 288, 768, 6, 48, 32
	type call struct {
		name string
		args []uint32
	}
	ops := []struct {
		name  string
		setup func(m *module, r *rand.Rand) call
	}{
		{"matmul_f32_288x288", func(m *module, r *rand.Rand) call {
			return call{"rl_matmul_f32", []uint32{m.alloc(4 * dim), m.f32s(kerneltest.Uniform(r, dim, -1, 1)), m.f32s(kerneltest.Uniform(r, dim*dim, -1, 1)), dim, dim}}
		}},
		{"matmul_q8_768x288", func(m *module, r *rand.Rand) call {
			const d, n = hidden, dim
			q, s := make([]int8, d*n), make([]float32, d*n/gs)
			scalar.Quantize(q, s, kerneltest.Uniform(r, d*n, -1, 1), gs)
			wq := m.alloc(d * n)
			m.putI8(wq, q)
			return call{"rl_matmul_q8_0", []uint32{m.alloc(4 * d), m.f32s(kerneltest.Uniform(r, n, -1, 1)), wq, m.f32s(s), n, d, gs, m.alloc(n), m.alloc(4 * n / gs)}}
		}},
		{"rmsnorm_288", func(m *module, r *rand.Rand) call {
			return call{"rl_rmsnorm", []uint32{m.alloc(4 * dim), m.f32s(kerneltest.Uniform(r, dim, -4, 4)), m.f32s(kerneltest.Uniform(r, dim, -2, 2)), dim}}
		}},
		{"rope_288", func(m *module, r *rand.Rand) call {
			return call{"rl_rope", []uint32{m.f32s(kerneltest.Uniform(r, dim, -2, 2)), m.f32s(kerneltest.Uniform(r, dim, -2, 2)), dim, dim, headSize, m.f32s(ropeTable(headSize, 7))}}
		}},
		{"swiglu_768", func(m *module, r *rand.Rand) call {
			return call{"rl_swiglu", []uint32{m.f32s(kerneltest.Uniform(r, hidden, -12, 12)), m.f32s(kerneltest.Uniform(r, hidden, -3, 3)), hidden}}
		}},
		{"softmax_256", func(m *module, r *rand.Rand) call {
			return call{"rl_softmax", []uint32{m.f32s(kerneltest.Uniform(r, 256, -10, 10)), 256}}
		}},
		{"attention_pos63", func(m *module, r *rand.Rand) call {
			const pos = 63
			return call{"rl_attention", []uint32{m.alloc(4 * dim), m.f32s(kerneltest.Uniform(r, dim, -2, 2)),
				m.f32s(kerneltest.Uniform(r, (pos+1)*dim, -2, 2)), m.f32s(kerneltest.Uniform(r, (pos+1)*dim, -2, 2)), m.alloc(4 * (pos + 1)),
				pos, heads, heads, headSize}}
		}},
	}
	for _, op := range ops {
		for _, e := range []struct {
			name   string
			config func() wazero.RuntimeConfig
		}{{"checks", checkedCompiler}, {"nochecks", wazero.NewRuntimeConfigCompiler}} {
			b.Run(op.name+"/"+e.name, func(b *testing.B) {
				m := load(b, e.config, 0)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				c := op.setup(m, rand.New(rand.NewPCG(1, 2)))
				f := m.fn(c.name)
				stack := make([]uint64, len(c.args))
				for b.Loop() {
					for i, a := range c.args {
						stack[i] = api.EncodeU32(a)
					}
					if err := f.CallWithStack(ctx, stack); err != nil || stack[0] != 0 {
						b.Fatalf("%s: %v, returned %d", c.name, err, stack[0])
					}
				}
			})
		}
	}
}
