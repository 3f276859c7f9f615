package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"

	"github.com/retrollama/retrollama/internal/bench/report"
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

// fakeRun is bench's stand-in for llama2.c's run: it prints "achieved
// tok/s: FIGURE" or fails, as its first argument says.
func fakeRun(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs("../../internal/bench/runner/testdata/fakerun.sh")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBenchCommand: --cmd times a program beside a profile. With
// --synthetic the model is written to a temporary file the command gets
// as {model} and the profile runs too, removed at the end; placeholders
// are filled ({steps} = prompt + generated tokens, printed back as the
// figure here); an unnamed command is the baseline A.
func TestBenchCommand(t *testing.T) {
	fake := fakeRun(t)
	out, errText, code := runCLI(t, append([]string{"bench", "--a", "fast", "--cmd", "fake=" + fake + " stderr {steps} {model} {tokenizer} {seed} {threads}",
		"--tokenizer", "tok.bin", "--seed", "9", "--threads", "1", "--format", "json"}, quick...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errText)
	}
	r, err := report.ReadJSON(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	a, b := r.Profiles[0], r.Profiles[1]
	if a.Name != "cmd:fake" || a.Label != "A" || b.Name != "fast" || b.Label != "B" {
		t.Fatalf("profiles %s %s, %s %s", a.Name, a.Label, b.Name, b.Label)
	}
	if len(a.Command) != 7 || a.Command[2] != "12" || !strings.HasSuffix(a.Command[3], "stories260K.bin") ||
		a.Command[4] != "tok.bin" || a.Command[5] != "9" || a.Command[6] != "1" || !slices.Equal(a.GenTokPerSec, []float64{12, 12, 12}) {
		t.Errorf("command %q, samples %v", a.Command, a.GenTokPerSec)
	}
	model := a.Command[3]
	if !strings.Contains(errText, "wrote synthetic stories260K to "+model) || r.Env.Model != "synthetic:stories260K written to "+model {
		t.Errorf("stderr %q, environment model %q", errText, r.Env.Model)
	}
	if _, err := os.Stat(filepath.Dir(model)); !os.IsNotExist(err) {
		t.Errorf("%s left behind: %v", filepath.Dir(model), err)
	}
	if len(r.Comparisons) != 1 || r.Comparisons[0].Baseline != "cmd:fake" || r.Comparisons[0].Subject != "fast" {
		t.Errorf("comparisons %+v", r.Comparisons)
	}

	// Placed explicitly as B, read with a regex, reported in text.
	out, errText, code = runCLI(t, []string{"bench", "--a", "fast", "--b", "cmd:fake", "--cmd", "fake=" + fake + " custom 3.5",
		"--cmd-regex", `fake=([0-9.]+) tokens per second`, "--synthetic", "stories260K", "--runs", "5", "--warmup", "0", "-n", "8", "--prompt-tokens", "4"}...)
	for _, want := range []string{"command cmd:fake  " + fake + " custom 3.5 (tok/s read with /([0-9.]+) tokens per second/)",
		"cmd:fake is", "slower than fast", "external command " + fake} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("exit %d %s: text report lacks %q:\n%s", code, errText, want, out)
		}
	}
	if !regexp.MustCompile(`(?m)^cmd:fake +B +5 +n/a +n/a +3\.5 +\[3\.5, 3\.5\] +n/a +n/a$`).MatchString(out) {
		t.Errorf("no row for the command in:\n%s", out)
	}
}

// TestBenchCommandErrors: a command that fails, prints no figure or is
// misnamed stops the bench with an error naming it (and its last stderr
// lines), never a silent zero.
func TestBenchCommandErrors(t *testing.T) {
	fake := fakeRun(t)
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"--a", "fast", "--cmd", "fake=" + fake + " fail"}, []string{"command cmd:fake: warm-up: cmd:fake (" + fake + " fail) exit status 3", "Couldn't open file nope.bin"}},
		{[]string{"--a", "fast", "--cmd", "fake=" + fake + " nofigure", "--warmup", "0"}, []string{"command cmd:fake: run 1:", "printed no line matching", "done, no figure"}},
		{[]string{"--a", "fast", "--cmd", "fake=" + fake + " stdout 5", "--cmd-regex", "fake=tok/s"}, []string{"exactly one capture group"}},
		{[]string{"--a", "fast", "--cmd", "fake=" + fake + " {modle}"}, []string{`unknown placeholder in "{modle}"`}},
		{[]string{"--a", "fast", "--b", "cmd:nope"}, []string{"cmd:nope: no --cmd nope=TEMPLATE"}},
		{[]string{"--a", "fast", "--cmd", "fake=x", "--cmd-regex", "other=(x)"}, []string{"--cmd-regex other: no --cmd other"}},
		{[]string{"--a", "fast", "--cmd", "fake"}, []string{"want NAME=VALUE"}},
		{[]string{"--a", "fast", "--cmd", "fake=x", "--cmd", "fake=y"}, []string{"--cmd fake given twice"}},
		{[]string{"--a", "fast", "--cmd", "Fake=x"}, []string{"lower-case"}},
		{[]string{"--cmd", "fake=x"}, []string{"give at least --a and --b"}},
	} {
		args := append(append([]string{"bench"}, tt.args...), "--synthetic", "stories260K", "--runs", "2", "-n", "4", "--prompt-tokens", "0")
		_, errText, code := runCLI(t, args...)
		for _, want := range tt.want {
			if code != 1 || !strings.Contains(errText, want) {
				t.Errorf("%q: exit %d, stderr %q, want %q", tt.args, code, errText, want)
			}
		}
	}
}
