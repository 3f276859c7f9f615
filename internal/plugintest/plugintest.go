// Package plugintest builds kernel plugin binaries for tests: each main
// package once per test process, into a temporary directory removed by
// Cleanup (call it from TestMain after m.Run).
package plugintest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	mu    sync.Mutex
	dir   string
	built = map[string]result{} // package → binary or build failure
)

type result struct {
	path string
	err  error
}

// Build compiles the module's main package pkg ("plugins/goplugin"),
// with env added to the go command's environment, and returns the
// binary's path; a failure fails tb, and every later Build of pkg too.
//
// go test's cache does not see a binary built this way: a test package
// using it should import the packages the plugin is made of, so a change
// there invalidates its cached result.
func Build(tb testing.TB, pkg string, env ...string) string {
	tb.Helper()
	mu.Lock()
	defer mu.Unlock()
	r, ok := built[pkg]
	if !ok {
		r = build(pkg, env)
		built[pkg] = r
	}
	if r.err != nil {
		tb.Fatalf("build %s: %v", pkg, r.err)
	}
	return r.path
}

func build(pkg string, env []string) result {
	if dir == "" {
		d, err := os.MkdirTemp("", "retrollama-plugins")
		if err != nil {
			return result{err: err}
		}
		dir = d
	}
	out := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, "github.com/retrollama/retrollama/"+pkg)
	cmd.Env = append(os.Environ(), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return result{err: fmt.Errorf("%v\n%s", err, b)}
	}
	return result{path: out}
}

// Cleanup removes the binaries.
func Cleanup() {
	mu.Lock()
	defer mu.Unlock()
	if dir != "" {
		os.RemoveAll(dir)
		dir = ""
	}
	built = map[string]result{}
}
