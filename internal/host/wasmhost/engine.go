package wasmhost

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/cpu"

	"github.com/retrollama/retrollama/plugins/wasm/spec"
)

// compilerSupport reports whether wazero compiles to native code here,
// and why (or why not). It restates wazero's own internal test
// (platform.CompilerSupported, not exported) because with auto a
// RuntimeConfig silently interprets where it cannot compile, and reports
// must say which engine actually ran.
func compilerSupport() (bool, string) {
	switch runtime.GOOS {
	case "linux", "darwin", "freebsd", "netbsd", "windows", "dragonfly", "solaris", "illumos":
	default:
		return false, fmt.Sprintf("wazero has no compiler for %s", runtime.GOOS)
	}
	switch {
	case runtime.GOARCH == "arm64" && runtime.GOOS != "dragonfly" && runtime.GOOS != "solaris" && runtime.GOOS != "illumos":
		return true, "wazero compiles to native arm64 code"
	case runtime.GOARCH == "amd64" && cpu.X86.HasSSE41:
		return true, "wazero compiles to native amd64 code (this CPU has SSE4.1)"
	case runtime.GOARCH == "amd64":
		return false, "wazero's amd64 compiler needs SSE4.1, which this CPU lacks"
	}
	return false, fmt.Sprintf("wazero has no compiler for GOARCH=%s", runtime.GOARCH)
}

// ChooseEngine resolves an engine setting (spec.Engines) on this machine: the engine
// that will run and why. Asking for the compiler where there is none is
// an error (auto would have chosen the interpreter).
func ChooseEngine(engine string) (used, why string, err error) {
	ok, reason := compilerSupport()
	switch engine {
	case spec.EngineAuto, "":
		if ok {
			return spec.EngineCompiler, "auto: " + reason, nil
		}
		return spec.EngineInterpreter, "auto: " + reason, nil
	case spec.EngineCompiler:
		if !ok {
			return "", "", fmt.Errorf("engine compiler: %s", reason)
		}
		return spec.EngineCompiler, "configured; " + reason, nil
	case spec.EngineInterpreter:
		return spec.EngineInterpreter, "configured", nil
	}
	return "", "", fmt.Errorf("unknown engine %q (want auto, compiler or interpreter)", engine)
}
