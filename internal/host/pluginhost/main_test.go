package pluginhost_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"testing"

	"github.com/retrollama/retrollama/internal/plugintest"

	// The plugins are built by "go build" at test time, which go test's
	// cache does not see; importing their SDK and kernels makes a change
	// there invalidate a cached result.
	_ "github.com/retrollama/retrollama/internal/kernels/unrolled"
	_ "github.com/retrollama/retrollama/plugins/kernelplugin"
)

func TestMain(m *testing.M) {
	code := m.Run()
	plugintest.Cleanup()
	os.Exit(code)
}

// build compiles a plugin's main package once per test binary.
func build(t testing.TB, pkg string) string { return plugintest.Build(t, pkg) }

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
