package kernelsfile

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestDependencyLight checks that parsing kernels.hcl links no runtime:
// the package's transitive imports (go list -deps) include neither wazero
// nor the builtin providers' assembly, nor the hosts that run providers.
// Commands and tools that only read the file (and the Pentium II build)
// depend on this; a new import that drags one in fails here.
func TestDependencyLight(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	forbidden := []struct {
		prefix, why string
	}{
		{"github.com/tetratelabs/wazero", "the WASM runtime (engine names come from plugins/wasm/spec)"},
		{"github.com/retrollama/retrollama/internal/kernels/", "the builtin providers (the caller passes their names)"},
		{"github.com/retrollama/retrollama/internal/host/wasmhost", "the WASM host"},
		{"github.com/retrollama/retrollama/internal/host/pluginhost", "the plugin host"},
		{"github.com/hashicorp/go-plugin", "the plugin machinery (plugin facts come from plugins/kernelplugin/spec)"},
	}
	for _, f := range forbidden {
		for _, d := range deps {
			if strings.HasPrefix(d, f.prefix) {
				t.Errorf("imports %s: the kernels file parser must not link %s", d, f.why)
			}
		}
	}
}
