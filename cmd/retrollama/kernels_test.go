package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/kernels/avx2"
	"github.com/retrollama/retrollama/internal/kernels/avx512"
)

func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runMain(args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

func TestKernelsList(t *testing.T) {
	out, errText, code := runCLI(t, "kernels", "list")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errText)
	}
	// The default is the first of default_profiles that runs here:
	// avx512 on a CPU with AVX-512 (its profile falls back on avx2), avx2
	// on one with AVX2, else fast (p2 runs only on 386).
	def := "default on this CPU: fast"
	switch {
	case avx512.Usable() == nil && avx2.Usable() == nil:
		def = "default on this CPU: avx512"
	case avx2.Usable() == nil:
		def = "default on this CPU: avx2"
	}
	for _, want := range []string{"builtin.scalar", "builtin.unroll4", "builtin.unroll8", "builtin.avx2", "builtin.avx512", def} {
		if !strings.Contains(out, want) {
			t.Errorf("list does not mention %q:\n%s", want, out)
		}
	}
}

// TestKernelsExplainEngine: explain says which wazero engine runs a wasm
// provider and why, and --engine overrides it.
func TestKernelsExplainEngine(t *testing.T) {
	out, errText, code := runCLI(t, "kernels", "explain", "--profile", "wasm", "--synthetic", "stories260K", "--engine", "interpreter")
	if code != 0 || !strings.Contains(out, "engine interpreter (configured)") {
		t.Errorf("exit %d; explain --engine interpreter:\n%s%s", code, out, errText)
	}
	out, _, _ = runCLI(t, "kernels", "explain", "--profile", "wasm", "--synthetic", "stories260K")
	if !strings.Contains(out, "engine compiler (auto: ") && !strings.Contains(out, "engine interpreter (auto: ") {
		t.Errorf("explain does not say which engine auto chose:\n%s", out)
	}
	if _, errText, code := runCLI(t, "kernels", "explain", "--engine", "jit"); code == 0 || !strings.Contains(errText, "--engine must be one of auto, compiler, interpreter") {
		t.Errorf("--engine jit: exit %d, %s", code, errText)
	}
}

func TestKernelsExplain(t *testing.T) {
	tests := []struct {
		profile string
		want    []string
	}{
		{"reference", []string{"32000×288 classifier", "builtin.scalar", "(profile", "reference)"}},
		{"fast", []string{"builtin.unroll8", "288×768 w2×6", "(profile", "fast)"}},
		{"wasm", []string{"wasm.simd128", "32000×288 classifier", "wasm.simd128: module embedded:simd128.wasm (sha256 ", ", engine "}},
	}
	for _, tt := range tests {
		out, errText, code := runCLI(t, "kernels", "explain", "--profile", tt.profile)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", tt.profile, code, errText)
		}
		for _, want := range tt.want {
			if !strings.Contains(out, want) {
				t.Errorf("%s: explain does not mention %q:\n%s", tt.profile, want, out)
			}
		}
	}
}

// TestKernelsExplainPassesOver: a profile whose first choice declines is
// explained with the reason and the line that configured it.
func TestKernelsExplainPassesOver(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.hcl")
	src := `provider "builtin" "scalar" {}
provider "builtin" "odd" { implementation = "unroll4" }
profile "p" {
  default = [builtin.scalar]
  op "matmul" { use = [builtin.odd] }
}
`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errText, code := runCLI(t, "kernels", "explain", "--kernels", path, "--profile", "p", "--synthetic", "stories260K")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errText)
	}
	if !strings.Contains(out, "builtin.odd") || !strings.Contains(out, "k.hcl:5:") {
		t.Errorf("explain does not show builtin.odd configured at k.hcl:5:\n%s", out)
	}
}

// TestKernelsCheck: "kernels check" runs exact mode by default and
// --nmse opts out, the summary lines naming the mode and the verdict
// alone on the last line; a shipped provider
// passes both (exact by construction, so within any NMSE bound too).
func TestKernelsCheck(t *testing.T) {
	for _, tt := range []struct {
		flags []string
		mode  string // the mode line
		say   string // the last lines
	}{
		{nil, "(exact)", "\nmode: exact (every output bit-identical to the scalar reference's; --nmse to relax)\nproviders: 1 passed, 0 failed, 0 skipped (nothing ran)\nPASS\n"},
		{[]string{"--nmse"}, "(nmse)", "\nmode: nmse (every output within ggml's NMSE bound of the scalar reference's; --nmse)\nproviders: 1 passed, 0 failed, 0 skipped (nothing ran)\nPASS\n"},
	} {
		t.Run(strings.Trim(tt.mode, "()"), func(t *testing.T) {
			out, errText, code := runCLI(t, append([]string{"kernels", "check", "--provider", "builtin.unroll4"}, tt.flags...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s\n%s", code, errText, out)
			}
			if !strings.HasSuffix(out, tt.say) || !regexp.MustCompile(`builtin.unroll4 +PASS +663 +0 +0`).MatchString(out) || regexp.MustCompile(`\bFAIL\b`).MatchString(out) {
				t.Errorf("want %q and %q in the check output:\n%s", tt.say, tt.mode, out)
			}
		})
	}
	if _, errText, code := runCLI(t, "kernels", "check", "--provider", "builtin.nope"); code != 1 || !strings.Contains(errText, "builtin.nope") {
		t.Errorf("unknown provider: exit %d, %q", code, errText)
	}
}

// TestBrokenKernelsFile: every command reports a broken kernels.hcl with
// its position and exits 1.
func TestBrokenKernelsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "broken.hcl")
	if err := os.WriteFile(path, []byte("provider \"builtin\" \"scalar\" {}\nprofile \"p\" {\n  default = [builtin.scalr]\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"run", "--synthetic", "stories260K", "-n", "4", "--kernels", path},
		{"kernels", "list", "--kernels", path},
		{"kernels", "explain", "--kernels", path},
		{"kernels", "check", "--kernels", path},
	} {
		_, errText, code := runCLI(t, args...)
		if code != 1 || !strings.Contains(errText, "broken.hcl:3:14: Unknown provider") || !strings.Contains(errText, `Did you mean "builtin.scalar"?`) {
			t.Errorf("%v: exit %d, stderr %q", args, code, errText)
		}
	}
	if _, errText, code := runCLI(t, "run", "--synthetic", "stories260K", "--profile", "fsat"); code != 1 || !strings.Contains(errText, `Did you mean "fast"?`) {
		t.Errorf("unknown profile: exit %d, %q", code, errText)
	}
}
