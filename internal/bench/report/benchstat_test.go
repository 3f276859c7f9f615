package report

import (
	"bytes"
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/perf/benchfmt"
)

// TestBenchstatParses reads the Benchstat output back with benchfmt and
// checks names, units, values and configuration per result.
func TestBenchstatParses(t *testing.T) {
	r := fixtureReport()
	var buf bytes.Buffer
	if err := Benchstat(&buf, r); err != nil {
		t.Fatal(err)
	}
	type key struct{ name, profile string }
	got := map[key][]float64{} // tok/s in order
	rd := benchfmt.NewReader(&buf, "report.txt")
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.SyntaxError:
			t.Fatalf("syntax error: %v", rec)
		case *benchfmt.Result:
			base, parts := rec.Name.Parts()
			if len(parts) != 2 || !strings.HasPrefix(string(parts[0]), "/profile=") || string(parts[1]) != "-1" {
				t.Fatalf("%s: want parts [/profile=NAME -1], got %q", rec.Name, parts)
			}
			for k, want := range map[string]string{"goos": "linux", "goarch": "amd64", "pkg": benchPkg, "model": r.Env.Model, "kernels": r.Env.KernelsHash, "cpu": r.Env.CPU} {
				if v := rec.GetConfig(k); v != want {
					t.Errorf("%s: config %s = %q, want %q", rec.Name, k, v, want)
				}
			}
			if len(rec.Values) != 2 {
				t.Fatalf("%s: %d values, want 2", rec.Name, len(rec.Values))
			}
			// benchfmt tidies ns/op into sec/op.
			perTok, ok := rec.Value("sec/op")
			if !ok || rec.Values[0].OrigUnit != "ns/op" {
				t.Fatalf("%s: no ns/op value in %+v", rec.Name, rec.Values)
			}
			rate, ok := rec.Value("tok/s")
			if !ok {
				t.Fatalf("%s: no tok/s value in %+v", rec.Name, rec.Values)
			}
			if math.Abs(perTok*rate-1) > 1e-12 {
				t.Errorf("%s: %g sec/op and %g tok/s disagree", rec.Name, perTok, rate)
			}
			k := key{string(base), strings.TrimPrefix(string(parts[0]), "/profile=")}
			got[k] = append(got[k], rate)
		}
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}

	want := map[key][]float64{}
	for _, p := range r.Profiles {
		want[key{"Prompt", p.Name}] = p.PromptTokPerSec
		want[key{"Generate", p.Name}] = p.GenTokPerSec
	}
	if len(got) != len(want) {
		t.Fatalf("got %d benchmark/profile pairs, want %d: %v", len(got), len(want), got)
	}
	total := 0
	for k, w := range want {
		g := got[k]
		if len(g) != len(w) {
			t.Errorf("%v: %d results, want %d", k, len(g), len(w))
			continue
		}
		for i := range w {
			if g[i] != w[i] {
				t.Errorf("%v run %d: tok/s %v, want %v", k, i+1, g[i], w[i])
			}
		}
		total += len(g)
	}
	if total != 60 {
		t.Errorf("%d results in all, want 60 (3 profiles × 2 phases × 10 runs)", total)
	}
}

// TestBenchstatNames checks profile names that would otherwise break a
// benchmark name.
func TestBenchstatNames(t *testing.T) {
	tests := []struct{ in, want string }{
		{"fast", "fast"},
		{"avx 2", "avx_2"},
		{"a/b", "a_b"},
		{"tab\tname", "tab_name"},
		{"", "_"},
		{"simd-2", "simd-2"}, // the -threads suffix keeps this from being read as GOMAXPROCS
	}
	for _, tt := range tests {
		if got := benchName(tt.in); got != tt.want {
			t.Errorf("benchName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestBenchstatRejectsBadRates checks that a rate with no time per token
// is an error rather than "+Inf ns/op".
func TestBenchstatRejectsBadRates(t *testing.T) {
	for _, v := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		r := minimalReport()
		r.Profiles[0].GenTokPerSec[3] = v
		if err := Benchstat(&bytes.Buffer{}, r); err == nil {
			t.Errorf("rate %v: no error", v)
		}
	}
}

// TestBenchstatCommand runs the real benchstat on the output. It needs
// the network to install benchstat, so it runs only when
// RETROLLAMA_TEST_BENCHSTAT=1 and go is on PATH.
func TestBenchstatCommand(t *testing.T) {
	if os.Getenv("RETROLLAMA_TEST_BENCHSTAT") != "1" {
		t.Skip("set RETROLLAMA_TEST_BENCHSTAT=1 to install and run golang.org/x/perf/cmd/benchstat")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not on PATH")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	gobin := t.TempDir()
	install := exec.CommandContext(ctx, goCmd, "install", "golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da")
	install.Env = append(os.Environ(), "GOBIN="+gobin)
	install.Dir = gobin // outside the module, so go.mod is untouched
	if out, err := install.CombinedOutput(); err != nil {
		t.Skipf("cannot install benchstat (offline?): %v\n%s", err, out)
	}
	var buf bytes.Buffer
	if err := Benchstat(&buf, fixtureReport()); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "bench.txt")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(ctx, filepath.Join(gobin, "benchstat"), "-col", "/profile", file).CombinedOutput()
	if err != nil {
		t.Fatalf("benchstat: %v\n%s", err, out)
	}
	t.Logf("benchstat -col /profile:\n%s", out)
	for _, want := range []string{"reference", "fast", "wasm", "sec/op", "tok/s", "Generate", "Prompt"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("benchstat output lacks %q", want)
		}
	}
	if bytes.Contains(out, []byte("parsing")) {
		t.Errorf("benchstat reported parse problems:\n%s", out)
	}
}
