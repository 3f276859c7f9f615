// Package testdata locates ../shared, the read-only reference material
// (real checkpoints, llama2.c's golden outputs) that lives beside the
// checkout on developer machines and in CI.
package testdata

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// EnvShared names the environment variable that overrides where SharedDir
// looks: test binaries run away from the checkout (on the emulated
// Pentium II, see internal/p2run) get the material copied beside them.
const EnvShared = "RETROLLAMA_SHARED"

// SharedDir returns the absolute path of ../shared beside the repository
// root (or of $RETROLLAMA_SHARED when set), or skips the test with a clear
// message when it is not there.
func SharedDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv(EnvShared)
	if dir == "" {
		_, file, _, ok := runtime.Caller(0)
		if !ok {
			tb.Skip("shared/: cannot locate the repository root")
		}
		dir = filepath.Join(filepath.Dir(file), "..", "..", "..", "shared")
	}
	if _, err := os.Stat(filepath.Join(dir, "golden", "cases.tsv")); err != nil {
		tb.Skipf("shared/ reference material not found at %s (CI always has it): %v", dir, err)
	}
	return dir
}

// Path joins elem onto SharedDir.
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	return filepath.Join(append([]string{SharedDir(tb)}, elem...)...)
}
