package wasmhost_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/retrollama/retrollama/internal/host/wasmhost"
	"github.com/retrollama/retrollama/kernels"
	wasmspec "github.com/retrollama/retrollama/plugins/wasm/spec"
)

// FuzzModule feeds arbitrary bytes to the loader and, when they load,
// drives them through Init, Prepare and a matmul: whatever the module,
// the host returns an error or a result, never panics or hangs. Seeds are
// the hostile modules of testdata.
func FuzzModule(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.wasm"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := wasmhost.New(context.Background(), wasmhost.Options{
			Name: "wasm.fuzz", Source: "fuzz.wasm", Module: b,
			Engine: wasmspec.EngineInterpreter, MemoryMiB: 4, Timeout: 50 * time.Millisecond,
		})
		if err != nil {
			return
		}
		defer p.Close()
		if err := p.Init(tiny); err != nil {
			return
		}
		h, err := p.Prepare(kernels.Tensor{Name: "w", DType: kernels.F32, Rows: 4, Cols: 8, F32: make([]float32, 32)})
		if err != nil {
			return
		}
		_ = p.MatMul(make([]float32, 4), h, make([]float32, 8))
		_ = p.Softmax(make([]float32, 4))
	})
}
