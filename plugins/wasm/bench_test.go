package wasm_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/retrollama/retrollama/internal/host/wasmhost"
	"github.com/retrollama/retrollama/internal/kernels/kerneltest"
	"github.com/retrollama/retrollama/internal/kernels/unrolled"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/plugins/wasm"
)

// BenchmarkMatMul compares, at stories15M's matmul shapes and on one
// thread, the SIMD128 module as the engine runs it (wasm.simd128, through
// the provider: copies in and out, one call under the timeout) with unroll8, the best native Go provider for fp32,
// and with the bare call of the module's export on data already in its
// memory ("raw", no timeout): simd128-notimeout/raw − 1 is the per-call
// boundary overhead (the copies), and simd128/simd128-notimeout what the
// timeout costs (wazero's termination checks at every loop iteration).
//
//	go test -run XXX -bench MatMul -count 5 ./plugins/wasm
func BenchmarkMatMul(b *testing.B) {
	shape := kerneltest.Stories15M()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, mm := range kerneltest.Stories15MMatMuls() {
		rows, cols := mm[0], mm[1]
		w, x := kerneltest.Random(rng, rows*cols), kerneltest.Random(rng, cols)
		name := fmt.Sprintf("%dx%d", rows, cols)
		providers := []struct {
			name string
			new  func() (kernels.Provider, error)
		}{
			{"unroll8", func() (kernels.Provider, error) { return unrolled.New(8, 1), nil }},
			{"simd128", func() (kernels.Provider, error) { return newSIMD128(wasmhost.DefaultTimeout) }},
			{"simd128-notimeout", func() (kernels.Provider, error) { return newSIMD128(-1) }},
		}
		for _, pc := range providers {
			b.Run(name+"/"+pc.name, func(b *testing.B) {
				p, err := pc.new()
				if err != nil {
					b.Fatal(err)
				}
				kerneltest.LoopMatMul(b, kerneltest.Initialised(b, p, shape), kerneltest.F32(rows, cols, w), x)
			})
		}
		b.Run(name+"/raw", func(b *testing.B) {
			benchRaw(b, rows, cols, w, x)
			kerneltest.ReportGFLOPs(b, rows, cols)
		})
	}
}

func newSIMD128(timeout time.Duration) (kernels.Provider, error) {
	mod, _ := wasm.Module("simd128.wasm")
	return wasmhost.New(context.Background(), wasmhost.Options{Name: "wasm.simd128", Source: "embedded:simd128.wasm", Module: mod, Timeout: timeout})
}

// benchRaw times rl_matmul_f32 called straight through wazero, with the
// weights and input already in the module's memory: the module's own
// speed, with nothing of the host around it.
func benchRaw(b *testing.B, rows, cols int, w, x []float32) {
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig())
	defer rt.Close(ctx)
	mod, _ := wasm.Module("simd128.wasm")
	m, err := rt.Instantiate(ctx, mod)
	if err != nil {
		b.Fatal(err)
	}
	alloc := m.ExportedFunction("rl_alloc")
	place := func(v []float32) uint64 {
		r, err := alloc.Call(ctx, uint64(4*len(v)))
		if err != nil || r[0] == 0 {
			b.Fatal("rl_alloc failed", err)
		}
		for i, f := range v {
			m.Memory().WriteFloat32Le(uint32(r[0])+uint32(4*i), f)
		}
		return r[0]
	}
	wo, xo, oo := place(w), place(x), place(make([]float32, rows))
	fn := m.ExportedFunction("rl_matmul_f32")
	stack := make([]uint64, 5)
	for b.Loop() {
		stack[0], stack[1], stack[2], stack[3], stack[4] = oo, xo, wo, uint64(cols), uint64(rows)
		if err := fn.CallWithStack(ctx, stack); err != nil || stack[0] != 0 {
			b.Fatal(err, stack[0])
		}
	}
}

// BenchmarkCallOverhead times the smallest op call (softmax of 8 floats)
// with the timeout, and with none ("notimeout": no termination checks and
// no watcher goroutine, which wazero starts for every guarded call): the
// fixed cost of a call through the provider.
func BenchmarkCallOverhead(b *testing.B) {
	for _, mode := range []struct {
		name    string
		timeout time.Duration
	}{{"timeout", wasmhost.DefaultTimeout}, {"notimeout", -1}} {
		b.Run(mode.name, func(b *testing.B) {
			p, err := newSIMD128(mode.timeout)
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			p.Init(kernels.Shape{Dim: 8, HiddenDim: 8, Heads: 1, KVHeads: 1, SeqLen: 4, VocabSize: 8})
			x := make([]float32, 8)
			for b.Loop() {
				p.Softmax(x)
			}
		})
	}
}
