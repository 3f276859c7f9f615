package kernelsfile

import (
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	wasmspec "github.com/retrollama/retrollama/plugins/wasm/spec"
)

// WASM is the configuration of a provider of kind wasm (see
// plugins/wasm/ABI.md and internal/host/wasmhost).
type WASM struct {
	// Path is the module as written: a file, or wasmspec.EmbeddedPrefix and the
	// name of a shipped module.
	Path string
	// Module is Path with a relative file path made relative to the
	// directory of the kernels file instead of the working directory.
	Module string
	// SHA256, when set, pins the module's bytes (hex): a module whose
	// hash differs is refused.
	SHA256 string
	// Engine is auto, compiler or interpreter.
	Engine string
	// MemoryMiB caps the module's linear memory (0: the host's default).
	MemoryMiB int
	// Timeout bounds each call into the module (0: the host's default;
	// negative: "off", no timeout and no termination checks).
	Timeout time.Duration
}

type wasmSchema struct {
	Path      string  `hcl:"path"`
	SHA256    *string `hcl:"sha256,optional"`
	Engine    *string `hcl:"engine,optional"`
	MemoryMiB *int    `hcl:"memory_mib,optional"`
	Timeout   *string `hcl:"timeout,optional"`
}

// wasmEngines are the valid engines of a wasm provider (the list the
// host runs by; the parser keeps no copy that could drift).
var wasmEngines = wasmspec.Engines()

// decodeWASM reads the body of a provider "wasm" block.
func decodeWASM(p *ProviderDecl, pb providerBlock) (*ProviderDecl, hcl.Diagnostics) {
	b, c, d := decodeChecked[wasmSchema](pb)
	if d.HasErrors() {
		return nil, d
	}
	w := &WASM{Path: b.Path}
	c.path(p, b.Path, "path names the module: a .wasm file, or embedded:NAME for a shipped module.")
	w.SHA256 = c.sha256(b.SHA256)
	w.Engine = c.oneOf("engine", b.Engine, wasmEngines, wasmspec.EngineAuto)
	if b.MemoryMiB != nil {
		w.MemoryMiB = *b.MemoryMiB
		if w.MemoryMiB < 1 || w.MemoryMiB > wasmspec.MaxMemoryMiB {
			c.diags = append(c.diags, errorAt(c.at("memory_mib"), "Invalid memory_mib", fmt.Sprintf("memory_mib must be 1 to %d: WASM memory is 32-bit.", wasmspec.MaxMemoryMiB)))
		}
	}
	w.Timeout = c.duration("timeout", b.Timeout, true)
	w.Module = w.Path
	if !strings.HasPrefix(w.Path, wasmspec.EmbeddedPrefix) {
		w.Module = c.relative(w.Path)
	}
	p.WASM = w
	return c.result(p)
}
