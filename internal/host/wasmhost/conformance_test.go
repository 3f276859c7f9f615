package wasmhost_test

import (
	"context"
	"testing"

	"github.com/retrollama/retrollama/internal/host/wasmhost"
	"github.com/retrollama/retrollama/internal/raceflag"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/conformance"
	"github.com/retrollama/retrollama/plugins/wasm"
)

// TestConformance: every shipped module, run through the provider (the
// boundary core's staging and copies, the module's exports), passes the
// conformance suite bit for bit. The suite wants a fresh provider per
// call: a compilation cache keeps that to one compilation per module. The
// Large cases are left out (as go test -short does): they add size, not
// shapes, and through WASM take minutes. Under the race detector the
// module built by Go is left out too: every fresh instance runs a Go
// runtime's start-up in wazero, which the detector slows past the test's
// time limit.
func TestConformance(t *testing.T) {
	cache := t.TempDir()
	for _, name := range wasm.Names() {
		t.Run(name, func(t *testing.T) {
			if raceflag.Enabled && name == "goexample.wasm" {
				t.Skip("too slow under the race detector; run without -race")
			}
			mod, _ := wasm.Module(name)
			conformance.Check(t, conformance.Run("wasm."+name, func() kernels.Provider {
				p, err := wasmhost.New(context.Background(), wasmhost.Options{Name: "wasm." + name, Source: "embedded:" + name, Module: mod, CacheDir: cache})
				if err != nil {
					panic(err) // the suite reports a panicking factory as a failure
				}
				return p
			}, conformance.Options{Short: true}))
		})
	}
}
