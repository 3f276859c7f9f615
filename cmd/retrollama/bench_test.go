package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
)

// quick is a bench small enough for a unit test: it checks the command's
// plumbing, not speed.
var quick = []string{"--synthetic", "stories260K", "--runs", "3", "--warmup", "0", "-n", "8", "--prompt-tokens", "4"}

func TestBenchFormats(t *testing.T) {
	dir := t.TempDir()
	jsonA, jsonB, html := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json"), filepath.Join(dir, "r.html")
	for _, out := range []string{jsonA, jsonB} {
		args := append([]string{"bench", "--a", "reference", "--b", "fast", "--format", "json", "--out", out, "--html", html}, quick...)
		if _, errText, code := runCLI(t, args...); code != 0 {
			t.Fatalf("exit %d: %s", code, errText)
		}
	}
	page, err := os.ReadFile(html)
	if err != nil || !strings.Contains(string(page), "<svg") {
		t.Errorf("html report: %v", err)
	}
	out, errText, code := runCLI(t, "bench", "compare", jsonA, jsonB)
	if code != 0 || !strings.Contains(out, "new:fast") || !strings.Contains(out, "Mann-Whitney U") {
		t.Errorf("compare: exit %d %s\n%s", code, errText, out)
	}

	out, errText, code = runCLI(t, append([]string{"bench", "--a", "reference", "--b", "fast", "--format", "benchstat"}, quick...)...)
	if code != 0 {
		t.Fatalf("benchstat: exit %d %s", code, errText)
	}
	n := 0
	for r := benchfmt.NewReader(strings.NewReader(out), "bench.txt"); r.Scan(); {
		if res, ok := r.Result().(*benchfmt.Result); ok && strings.Contains(string(res.Name), "profile=") {
			n++
		}
	}
	if n != 12 { // 2 profiles × 3 runs × (prompt, generation)
		t.Errorf("benchfmt read %d results from:\n%s", n, out)
	}

	out, _, code = runCLI(t, append([]string{"bench", "--a", "reference", "--b", "fast"}, quick...)...)
	for _, want := range []string{"Comparisons", "generation:", "Correctness", "greedy steps", "Per-op time"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
}

// TestBenchSavedBlock runs the shipped kernels.hcl's bench block with its
// sizes overridden by flags.
func TestBenchSavedBlock(t *testing.T) {
	out, errText, code := runCLI(t, append([]string{"bench", "--name", "fast-vs-reference", "--format", "csv"}, quick...)...)
	if code != 0 || !strings.Contains(out, "reference,A,1,tg_tok_per_sec") || !strings.Contains(out, "fast,B,3,tg_tok_per_sec") {
		t.Errorf("exit %d %s\n%s", code, errText, out)
	}
}

func TestBenchOps(t *testing.T) {
	out, errText, code := runCLI(t, "bench", "ops", "--provider", "builtin.unroll8", "--synthetic", "stories260K", "--time", "1ms")
	if code != 0 || !strings.Contains(out, "GFLOP/s") || !strings.Contains(out, "512×64 classifier") {
		t.Errorf("exit %d %s\n%s", code, errText, out)
	}
}

// TestBenchThreadsPerProfile: NAME@N runs one profile on N threads, so
// one run compares thread counts; the labels keep the suffix.
func TestBenchThreadsPerProfile(t *testing.T) {
	out, errText, code := runCLI(t, append([]string{"bench", "--a", "fast@1", "--b", "fast@2", "--format", "csv"}, quick...)...)
	if code != 0 || !strings.Contains(out, "fast@1,A,") || !strings.Contains(out, "fast@2,B,") {
		t.Errorf("exit %d %s\n%s", code, errText, out)
	}
	_, errText, code = runCLI(t, append([]string{"bench", "--a", "fast@0", "--b", "fast"}, quick...)...)
	if code == 0 || !strings.Contains(errText, "NAME@THREADS") {
		t.Errorf("fast@0: exit %d, %q", code, errText)
	}
}

// TestBenchOpsSweep: the matmul shape sweep, both dtypes, and its
// argument errors.
func TestBenchOpsSweep(t *testing.T) {
	out, errText, code := runCLI(t, "bench", "ops", "--sweep", "--provider", "builtin.unroll8", "--models", "stories260K", "--time", "1ms")
	for _, want := range []string{"GB/s", "stories260K 512×64 classifier", " f32 ", " q8_0 "} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("exit %d %s: no %q in\n%s", code, errText, want, out)
		}
	}
	for _, bad := range []struct{ flag, value, want string }{
		{"--dtype", "f16", `--dtype "f16"`},
		{"--models", "stories7B", `unknown model shape "stories7B"`},
		{"--synthetic", "stories15M", "--sweep takes --models"},
	} {
		_, errText, code := runCLI(t, "bench", "ops", "--sweep", "--provider", "builtin.unroll8", "--time", "1ms", bad.flag, bad.value)
		if code == 0 || !strings.Contains(errText, bad.want) {
			t.Errorf("%s %s: exit %d, stderr %q, want %q", bad.flag, bad.value, code, errText, bad.want)
		}
	}
}

// TestBenchBadInput: clear errors and no output file left behind.
func TestBenchBadInput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.json")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown profile", []string{"--a", "reference", "--b", "fsat"}, `no profile "fsat"`},
		{"missing model", []string{"--a", "reference", "--b", "fast", "--model", filepath.Join(dir, "nope.bin")}, "nope.bin"},
		{"one run", []string{"--a", "reference", "--b", "fast", "--synthetic", "stories260K", "--runs", "1"}, "at least 2 runs"},
		{"one profile", []string{"--a", "reference", "--synthetic", "stories260K"}, "--b"},
		{"bad format", []string{"--a", "reference", "--b", "fast", "--format", "xml"}, "--format"},
		{"unknown bench", []string{"--name", "nope"}, `no bench "nope"`},
		{"bad until-ci", []string{"--a", "reference", "--b", "fast", "--synthetic", "stories260K", "--until-ci", "lots"}, "--until-ci"},
	}
	for _, tt := range tests {
		args := append(append([]string{"bench"}, tt.args...), "--format", "json", "--out", out)
		if tt.name == "bad format" {
			args = append([]string{"bench"}, tt.args...)
		}
		_, errText, code := runCLI(t, args...)
		if code != 1 || !strings.Contains(errText, tt.want) {
			t.Errorf("%s: exit %d, stderr %q, want %q", tt.name, code, errText, tt.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: left %s behind", tt.name, out)
		}
	}
	if _, errText, code := runCLI(t, "bench", "compare", out, out); code != 1 || !strings.Contains(errText, "out.json") {
		t.Errorf("compare of missing files: exit %d %q", code, errText)
	}
}

// TestBenchIsolate: every measured run in a fresh process, each with its
// own peak RSS.
func TestBenchIsolate(t *testing.T) {
	t.Setenv("RETROLLAMA_TEST_AS_CLI", "1")
	out, errText, code := runCLI(t, append([]string{"bench", "--a", "reference", "--b", "fast", "--isolate", "--format", "json"}, quick...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errText)
	}
	if !strings.Contains(out, `"isolate": true`) || strings.Count(out, `"peak_rss_bytes": [`) != 2 {
		t.Errorf("json:\n%s", out)
	}
}
