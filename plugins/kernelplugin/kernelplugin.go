// Package kernelplugin is the SDK for kernel plugins: kernel providers that
// run in their own process, in Go or in C through cgo, and are swapped in
// by kernels.hcl (provider "plugin"). An author implements the same
// kernels.Provider as an in-process provider and calls Serve from main:
//
//	func main() {
//		kernelplugin.Serve(func(o kernelplugin.Options) (kernels.Provider, error) {
//			return mykernels.New(o.Threads), nil
//		})
//	}
//
// Serve speaks hashicorp/go-plugin's gRPC protocol to the host for
// control (describe, init, prepare, close) and serves the per-token ops
// from a ring in memory shared with the host (internal/shmring), falling
// back to gRPC calls where there is no shared memory. The weights arrive
// mapped read-only from shared memory, so a plugin holds no copy of them.
// Log through Options.Logger (hclog); nothing may be written to stdout,
// which carries go-plugin's handshake. plugins/goplugin is a complete
// plugin in a dozen lines (serving kernels internal to retrollama: start
// your own provider from a copy of kernels/scalar), plugins/PROTOCOL.md
// the wire format.
package kernelplugin

import (
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/plugins/kernelplugin/internal/server"
)

// Options are what the host asks of the provider: threads per op
// (kernels.hcl's threads, else the command's --threads; 0 = all cores)
// and the logger whose lines appear in the host's log under the
// provider's name, levels kept.
type Options = server.Options

// Serve runs the plugin: newProvider is called when the host opens it,
// and the process exits when the host closes it (or dies). Serve never
// returns.
func Serve(newProvider func(Options) (kernels.Provider, error)) {
	server.Serve(server.Config{New: newProvider})
}
