package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/raceflag"

	"github.com/retrollama/retrollama/internal/host/wasmhost"
	"github.com/retrollama/retrollama/internal/testdata"
	wasmspec "github.com/retrollama/retrollama/plugins/wasm/spec"
)

// TestWASMKernelsCheck: "kernels check" passes for every shipped module on
// every engine this machine has. The interpreter is skipped in -short and
// -race builds, and the Go module in -race builds (minutes there); .ci/run
// runs them all from a plain build.
func TestWASMKernelsCheck(t *testing.T) {
	engines := []string{wasmspec.EngineInterpreter}
	if used, _, _ := wasmhost.ChooseEngine(wasmspec.EngineAuto); used == wasmspec.EngineCompiler {
		engines = append(engines, wasmspec.EngineCompiler)
	}
	for _, engine := range engines {
		for _, module := range []string{"simd128", "goexample"} {
			t.Run(engine+"/"+module, func(t *testing.T) {
				if engine == wasmspec.EngineInterpreter && (testing.Short() || raceflag.Enabled) {
					t.Skip("the interpreter runs the suite in minutes under -race; .ci/run checks it with the plain binary")
				}
				if module == "goexample" && raceflag.Enabled {
					// The suite instantiates the module per case: Go's
					// runtime starting 651 times takes over 5 minutes
					// under -race.
					t.Skip("too slow under -race; .ci/run checks it with the plain binary")
				}
				out, errText, code := runCLI(t, "kernels", "check", "--provider", "wasm."+module, "--engine", engine)
				if code != 0 || !strings.HasSuffix(out, "\nPASS\n") {
					t.Fatalf("exit %d\n%s\n%s", code, out, errText)
				}
			})
		}
	}
}

// hostileKernels writes a kernels file whose profile "hostile" routes
// every op to a misbehaving module of internal/host/wasmhost/testdata.
func hostileKernels(t *testing.T, module, onError string) string {
	t.Helper()
	wasm, err := filepath.Abs(filepath.Join("..", "..", "internal", "host", "wasmhost", "testdata", module+".wasm"))
	if err != nil {
		t.Fatal(err)
	}
	src := fmt.Sprintf(`
provider "builtin" "scalar" {}
provider "wasm" "%s" {
  path    = %q
  timeout = "300ms"
}
profile "hostile" {
  default  = [wasm.%s]
  on_error = %q
}
`, module, wasm, module, onError)
	return writeKernelsFile(t, src)
}

// TestWASMHostileModules: a module that loops, traps, grows memory, lies
// about success, has the wrong ABI version or lacks an export never takes
// the process down. With on_error = "fallback" generation completes on the
// reference with llama2.c's exact text and a warning naming the module;
// with "fail" it stops with one error line naming module and problem.
func TestWASMHostileModules(t *testing.T) {
	model := testdata.Path(t, "models", "stories260K.bin")
	tok := testdata.Path(t, "models", "tokenizer.bin")
	args := []string{"run", model, "-z", tok, "-t", "0", "-n", "48"}
	want, errText, code := runCLI(t, append(args, "--profile", "reference")...)
	if code != 0 {
		t.Fatalf("reference: exit %d: %s", code, errText)
	}
	for _, c := range []struct {
		module string
		says   string // in the warning (fallback) and the error (fail)
	}{
		{"loop", "timed out after 300ms"},
		{"oob", "out of bounds memory access"},
		{"grow", "grew memory"},
		{"status", "returned error code 7"},
		{"abi2", "rl_abi_version returned 2"},
		{"noalloc", `missing export \"rl_alloc\"`},
		{"imports", "imports env.abort"},
	} {
		t.Run(c.module, func(t *testing.T) {
			t.Parallel()
			out, errText, code := runCLI(t, append(args, "--kernels", hostileKernels(t, c.module, "fallback"), "--profile", "hostile")...)
			if code != 0 {
				t.Fatalf("fallback: exit %d: %s", code, errText)
			}
			if out != want {
				t.Errorf("fallback: text differs from the reference's\n got %q\nwant %q", out, want)
			}
			say := strings.ReplaceAll(c.says, `\"`, `"`)
			if !strings.Contains(errText, "wasm."+c.module) || !(strings.Contains(errText, c.says) || strings.Contains(errText, say)) {
				t.Errorf("fallback: stderr does not name the module and say %q:\n%s", say, errText)
			}

			out, errText, code = runCLI(t, append(args, "--kernels", hostileKernels(t, c.module, "fail"), "--profile", "hostile")...)
			if code == 0 {
				t.Fatalf("fail: exit 0; stdout %q", out)
			}
			if !strings.Contains(errText, "wasm."+c.module) || !strings.Contains(errText, say) {
				t.Errorf("fail: stderr does not name the module and say %q:\n%s", say, errText)
			}
			if strings.Contains(errText, "panic") || strings.Contains(errText, "goroutine ") {
				t.Errorf("fail: stderr has a panic:\n%s", errText)
			}
		})
	}
}

// TestWASMSHA256Pin: a module whose bytes differ from the pinned hash is
// refused, naming both hashes.
func TestWASMSHA256Pin(t *testing.T) {
	wasm, _ := filepath.Abs(filepath.Join("..", "..", "internal", "host", "wasmhost", "testdata", "status.wasm"))
	src := fmt.Sprintf(`
provider "wasm" "pinned" {
  path   = %q
  sha256 = "%s"
}
profile "p" {
  default  = [wasm.pinned]
  on_error = "fail"
}
`, wasm, strings.Repeat("0", 64))
	path := writeKernelsFile(t, src)
	_, errText, code := runCLI(t, "run", "--synthetic", "stories260K", "-n", "4", "--kernels", path, "--profile", "p")
	if code == 0 || !strings.Contains(errText, "sha256 is ") || !strings.Contains(errText, "pins "+strings.Repeat("0", 64)) {
		t.Errorf("exit %d, stderr:\n%s", code, errText)
	}
}
