package pluginhost_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	// The plugins are built by "go build" at test time, which go test's
	// cache does not see; importing their SDK and kernels makes a change
	// there invalidate a cached result.
	_ "github.com/retrollama/retrollama/kernels/unrolled"
	_ "github.com/retrollama/retrollama/plugins/kernelplugin"
)

// bin holds the plugin binaries the tests build once.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pluginhost-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	bin = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// build compiles a plugin's main package (relative to the module root)
// once per test binary and returns its path.
func build(t testing.TB, pkg string) string {
	t.Helper()
	out := filepath.Join(bin, filepath.Base(pkg))
	if _, err := os.Stat(out); err == nil {
		return out
	}
	cmd := exec.Command("go", "build", "-o", out, "github.com/retrollama/retrollama/"+pkg)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, b)
	}
	return out
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
