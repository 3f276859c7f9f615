// Package spec holds the few facts about WASM kernel providers that code
// without a WASM runtime needs too (kernels.hcl's checks, --engine): the
// engines a module may run on, how a path names a shipped module, and how
// much memory a module may have. It imports nothing, so parsing a kernels
// file does not link wazero; internal/host/wasmhost, which runs modules,
// uses the same names. plugins/kernelplugin/spec is its twin for plugins.
package spec

// The engines a WASM provider may ask for (kernels.hcl's engine).
const (
	EngineAuto        = "auto"        // the compiler where wazero has one for this CPU, else the interpreter
	EngineCompiler    = "compiler"    // wazero's optimizing compiler to native code (amd64 with SSE4.1, arm64)
	EngineInterpreter = "interpreter" // wazero's interpreter: every GOARCH, 50–100× slower
)

// Engines lists the valid engine settings.
func Engines() []string { return []string{EngineAuto, EngineCompiler, EngineInterpreter} }

// EmbeddedPrefix starts a wasm provider's path that names a module
// compiled into the binary ("embedded:simd128.wasm", see plugins/wasm)
// instead of a file.
const EmbeddedPrefix = "embedded:"

// MaxMemoryMiB is the most linear memory a module may be given: WASM
// memory is 32-bit, so 4 GiB.
const MaxMemoryMiB = 4096
