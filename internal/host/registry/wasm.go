package registry

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/retrollama/retrollama/internal/host/kernelsfile"
	"github.com/retrollama/retrollama/internal/host/wasmhost"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/plugins/wasm"
	wasmspec "github.com/retrollama/retrollama/plugins/wasm/spec"
)

// log returns the options' logger or one that discards.
func log(o Options) hclog.Logger {
	if o.Logger == nil {
		return hclog.NewNullLogger()
	}
	return o.Logger
}

// ModuleBytes reads the module a wasm provider names: a shipped one
// ("embedded:simd128.wasm") or a file. With a sha256 pin, bytes that hash
// otherwise are refused.
func ModuleBytes(w *kernelsfile.WASM) ([]byte, error) {
	var b []byte
	if name, ok := strings.CutPrefix(w.Module, wasmspec.EmbeddedPrefix); ok {
		var found bool
		if b, found = wasm.Module(name); !found {
			return nil, fmt.Errorf("no embedded module %q (shipped: %s)", name, strings.Join(wasm.Names(), ", "))
		}
	} else {
		var err error
		if b, err = os.ReadFile(w.Module); err != nil {
			return nil, err
		}
	}
	if w.SHA256 != "" {
		if got := wasmhost.SHA256(b); got != w.SHA256 {
			return nil, fmt.Errorf("%s: sha256 is %s, kernels.hcl pins %s: refusing a module that is not the one configured", w.Module, got, w.SHA256)
		}
	}
	return b, nil
}

// CacheDir is where compiled WASM modules are kept between runs:
// $RETROLLAMA_CACHE_DIR/wazero, else the user cache directory's
// retrollama/wazero; "" (no cache) when RETROLLAMA_CACHE_DIR is "off" or
// there is no cache directory.
func CacheDir() string {
	dir := os.Getenv("RETROLLAMA_CACHE_DIR")
	if dir == "off" {
		return ""
	}
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(base, "retrollama")
	}
	return filepath.Join(dir, "wazero")
}

// newWASM loads a wasm provider.
func newWASM(p *kernelsfile.ProviderDecl, o Options) (kernels.Provider, error) {
	b, err := ModuleBytes(p.WASM)
	if err != nil {
		return nil, err
	}
	return wasmhost.New(context.Background(), wasmhost.Options{
		Name:      p.Ref(),
		Source:    p.WASM.Module,
		Module:    b,
		Engine:    p.WASM.Engine,
		MemoryMiB: p.WASM.MemoryMiB,
		Timeout:   p.WASM.Timeout,
		CacheDir:  CacheDir(),
		Logger:    log(o).Named(p.Ref()),
	})
}
