package kernelsfile

import (
	"fmt"
	"time"

	"github.com/retrollama/retrollama/internal/shmring"
	pluginspec "github.com/retrollama/retrollama/plugins/kernelplugin/spec"
)

// Describe is "retrollama kernels list"'s line for a plugin provider: the
// protocol version, the transport it would use here (auto resolved to
// what this machine supports), its call timeout and whether its binary
// is pinned by hash.
func (g *Plugin) Describe() string {
	transport := g.Transport
	if transport == pluginspec.TransportAuto {
		if err := shmring.Supported(); err != nil {
			transport = "auto (grpc: " + err.Error() + ")"
		} else {
			transport = "auto (shm where the plugin maps it)"
		}
	}
	timeout := pluginspec.DefaultCallTimeout.String()
	switch {
	case g.CallTimeout < 0:
		timeout = "off"
	case g.CallTimeout > 0:
		timeout = g.CallTimeout.String()
	}
	pin := "not pinned"
	if g.SHA256 != "" {
		pin = "sha256 pinned"
	}
	return fmt.Sprintf("kernel plugin process (protocol v%d), transport %s, call timeout %s, %s", pluginspec.Version, transport, timeout, pin)
}

// WASMHost is what describing a WASM provider needs from the host that
// would run it. The host links wazero, which this package must not
// (TestDependencyLight), so the caller passes these facts in.
type WASMHost struct {
	ABIVersion     int           // the ABI version the host implements
	DefaultTimeout time.Duration // the call timeout when the declaration sets none
	// ChooseEngine resolves an engine setting on this machine: the
	// engine that will run and why, or why it cannot.
	ChooseEngine func(engine string) (used, why string, err error)
}

// Describe is "retrollama kernels list"'s line for a WASM provider: the
// engine it would run on here and why, and its timeout.
func (w *WASM) Describe(h WASMHost) string {
	engine, why, err := h.ChooseEngine(w.Engine)
	if err != nil {
		return fmt.Sprintf("WASM module (ABI v%d): %v", h.ABIVersion, err)
	}
	timeout := "timeout " + w.Timeout.String()
	switch {
	case w.Timeout == 0:
		timeout = "timeout " + h.DefaultTimeout.String()
	case w.Timeout < 0:
		timeout = "no timeout"
	}
	return fmt.Sprintf("WASM module (ABI v%d) on the %s (%s); %s", h.ABIVersion, engine, why, timeout)
}
