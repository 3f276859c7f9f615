package scalar_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// templateModule is the module path the copy of this package gets: a
// provider author's own module, outside retrollama.
const templateModule = "example.com/myprovider"

// templateTest is the test the copy gets: the public conformance suite
// on the copied provider, in exact mode, as a provider author writes it.
const templateTest = `package myprovider_test

import (
	"testing"

	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/conformance"

	"example.com/myprovider"
)

func TestConformance(t *testing.T) {
	conformance.Test(t, "myprovider", func() kernels.Provider { return myprovider.New() })
}
`

// TestTemplateBuildsOutsideTheModule: kernels/scalar is the template for
// a new provider, so a copy of its non-test files, as package myprovider
// of a module of its own that requires retrollama (replaced by this
// checkout), must build with the go command and pass the public
// conformance suite. It fails if scalar imports anything under
// internal/, which a module outside retrollama may not import. The go
// command runs offline (GOPROXY=off) from the module cache that built
// this test.
func TestTemplateBuildsOutsideTheModule(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("the go command is not on PATH, so the copied template cannot be built: %v", err)
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := writeTemplateModule(dir, root); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goCmd, "test", "-short", "-count=1", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the copied template does not build or pass conformance outside the module: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("ok  \t"+templateModule)) {
		t.Fatalf("go test did not report the copy's conformance test as passed:\n%s", out)
	}
	t.Logf("%s", bytes.TrimSpace(out))
}

// writeTemplateModule writes into dir the module a provider author makes
// by copying kernels/scalar: its non-test .go files renamed to package
// myprovider, the test templateTest, a go.mod requiring retrollama,
// replaced by the checkout at root, and root's go.sum.
func writeTemplateModule(dir, root string) error {
	goMod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return fmt.Errorf("template: %w", err)
	}
	var goLine string
	for line := range strings.Lines(string(goMod)) {
		if strings.HasPrefix(line, "go ") {
			goLine = strings.TrimSpace(line)
			break
		}
	}
	if goLine == "" {
		return fmt.Errorf("template: no go directive in %s", filepath.Join(root, "go.mod"))
	}
	mod := fmt.Sprintf("module %s\n\n%s\n\nrequire github.com/retrollama/retrollama v0.0.0\n\nreplace github.com/retrollama/retrollama => %s\n",
		templateModule, goLine, root)
	files := map[string][]byte{"go.mod": []byte(mod), "myprovider_test.go": []byte(templateTest)}
	if files["go.sum"], err = os.ReadFile(filepath.Join(root, "go.sum")); err != nil {
		return fmt.Errorf("template: %w", err)
	}
	sources, err := filepath.Glob("*.go")
	if err != nil {
		return fmt.Errorf("template: %w", err)
	}
	rename := strings.NewReplacer("\npackage scalar\n", "\npackage myprovider\n", "\n// Package scalar ", "\n// Package myprovider ")
	for _, name := range sources {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			return fmt.Errorf("template: %w", err)
		}
		files[name] = []byte(rename.Replace("\n" + string(src))[1:]) // "\n": the doc comment may open the file
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("template: %w", err)
		}
	}
	return nil
}
