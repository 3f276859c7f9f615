package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/retrollama/retrollama/internal/bench/ops"
	"github.com/retrollama/retrollama/internal/kernels/builtin"
)

// brokenKernels declares a profile per way a provider cannot run: its
// plugin binary missing, its WASM file missing, another CPU's assembly
// (mmx runs only in the linux/386 build). Each names unroll8 next, which
// runs the ops with fallback.
const brokenKernels = `
provider "builtin" "scalar" {}
provider "builtin" "unroll8" {}
provider "builtin" "mmx" {}
provider "plugin" "mine" {
  path = "nope/mine-plugin"
}
provider "wasm" "gone" {
  path = "gone.wasm"
}
profile "ref" { default = [builtin.scalar] }
profile "plugin" { default = [plugin.mine, builtin.unroll8] }
profile "wasm" { default = [wasm.gone, builtin.unroll8] }
profile "cpu" { default = [builtin.mmx, builtin.unroll8] }
`

// brokenCases are the three ways, each with what names the provider and
// its problem in an error.
var brokenCases = []struct {
	profile  string
	provider string
	problem  string // in every message about it
}{
	{"plugin", "plugin.mine", "nope/mine-plugin"},
	{"wasm", "wasm.gone", "gone.wasm"},
	{"cpu", "builtin.mmx", "MMX assembly is only in the linux/386 build"},
}

// writeKernelsFile writes src as a kernels file in a temporary directory
// and returns its path.
func writeKernelsFile(t testing.TB, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kernels.hcl")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeBrokenKernels(t *testing.T) string {
	t.Helper()
	if info, _ := builtin.Lookup("mmx"); info.Usable() == nil {
		t.Skip("mmx runs on this build: no CPU-declined provider to test with")
	}
	return writeKernelsFile(t, brokenKernels)
}

// TestNoSilentSubstitutionRun: run stops with the provider and its
// problem named, unless --fallback, and then stderr names what ran.
func TestNoSilentSubstitutionRun(t *testing.T) {
	k := writeBrokenKernels(t)
	for _, c := range brokenCases {
		t.Run(c.profile, func(t *testing.T) {
			args := []string{"run", "--kernels", k, "--profile", c.profile, "--synthetic", "stories260K", "-n", "4", "-s", "1"}
			out, errText, code := runCLI(t, args...)
			if code != 1 || out != "" || !strings.Contains(errText, c.provider) || !strings.Contains(errText, c.problem) || !strings.Contains(errText, "--fallback") {
				t.Errorf("without fallback: exit %d, stdout %q, stderr %q", code, out, errText)
			}
			out, errText, code = runCLI(t, append(args, "--fallback")...)
			if code != 0 || out == "" || !strings.Contains(errText, "did not run as named") ||
				!strings.Contains(errText, "ran on builtin.unroll8: "+c.provider) || !strings.Contains(errText, c.problem) {
				t.Errorf("with --fallback: exit %d, stderr %q", code, errText)
			}
		})
	}
}

// TestNoSilentSubstitutionBench: bench refuses before measuring unless
// --fallback; with it every format names what ran and the headline
// verdict says the profile did not run as named.
func TestNoSilentSubstitutionBench(t *testing.T) {
	k := writeBrokenKernels(t)
	dir := t.TempDir()
	formats := map[string]string{ // format → what names the substitution there
		"text":      "NOT RUN AS NAMED",
		"md":        "Not run as named",
		"json":      `"substitutions"`,
		"csv":       ",substitution,",
		"benchstat": "not-as-named-",
	}
	for _, c := range brokenCases {
		t.Run(c.profile, func(t *testing.T) {
			args := []string{"bench", "--kernels", k, "--a", "ref", "--b", c.profile, "--synthetic", "stories260K",
				"-n", "4", "--prompt-tokens", "2", "--runs", "2", "--warmup", "0"}
			_, errText, code := runCLI(t, args...)
			if code != 1 || !strings.Contains(errText, c.provider) || !strings.Contains(errText, c.problem) {
				t.Errorf("without fallback: exit %d, stderr %q", code, errText)
			}
			for format, mark := range formats {
				html := filepath.Join(dir, c.profile+"-"+format+".html")
				out, errText, code := runCLI(t, append(args, "--fallback", "--format", format, "--html", html)...)
				if code != 0 {
					t.Fatalf("%s with --fallback: exit %d: %s", format, code, errText)
				}
				for _, want := range []string{mark, c.provider, c.problem, "builtin.unroll8"} {
					if !strings.Contains(out, want) {
						t.Errorf("%s report lacks %q:\n%s", format, want, out)
					}
				}
				if format == "text" && !regexp.MustCompile(`(?s)Comparisons.*but `+c.profile+` did not run as named`).MatchString(out) {
					t.Errorf("the text verdict does not say %s did not run as named:\n%s", c.profile, out)
				}
				page, err := os.ReadFile(html)
				if err != nil || !strings.Contains(string(page), "Not run as named") || !strings.Contains(string(page), c.provider) {
					t.Errorf("%s: the HTML page does not name the substitution (%v)", format, err)
				}
			}
		})
	}
}

// TestKernelsCheckVerdicts: PASS only when something ran and passed; a
// missing path is FAIL naming it, another CPU's provider SKIP (exit 3).
func TestKernelsCheckVerdicts(t *testing.T) {
	k := writeBrokenKernels(t)
	cases := []struct {
		args    []string
		code    int
		verdict string
		want    []string
	}{
		{[]string{"--provider", "plugin.mine"}, 1, "FAIL", []string{"plugin.mine", "nope/mine-plugin", "kernels.hcl:5"}},
		{[]string{"--provider", "wasm.gone"}, 1, "FAIL", []string{"wasm.gone", "gone.wasm"}},
		{[]string{"--provider", "builtin.mmx"}, 3, "SKIP", []string{"builtin.mmx", "cannot run here", "MMX assembly"}},
		{[]string{"--profile", "cpu"}, 0, "PASS", []string{"builtin.mmx", "SKIP", "1 passed, 0 failed, 1 skipped"}},
		{[]string{"--profile", "plugin"}, 1, "FAIL", []string{"nope/mine-plugin", "1 passed, 1 failed"}},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			out, errText, code := runCLI(t, append([]string{"kernels", "check", "--kernels", k, "--synthetic", "stories260K"}, c.args...)...)
			if code != c.code || !strings.HasSuffix(out, "\n"+c.verdict+"\n") {
				t.Errorf("exit %d (want %d), last line not %s:\n%s\n%s", code, c.code, c.verdict, out, errText)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestKernelsCheckCollapsesDeclines: without -v, a provider's declines
// are one line per op and reason; with -v one per case.
func TestKernelsCheckCollapsesDeclines(t *testing.T) {
	args := []string{"kernels", "check", "--provider", "builtin.swar", "--synthetic", "stories260K"}
	short, _, code := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, short)
	}
	long, _, _ := runCLI(t, append(args, "-v")...)
	n, m := strings.Count(short, "skipped: "), strings.Count(long, "skipped: ")
	if n == 0 || n > 12 || m <= n {
		t.Errorf("%d decline lines, %d with -v; want a few, then one per case:\n%s", n, m, short)
	}
}

// TestHelpEverywhere: -h and --help on every command and subcommand exit
// 0 with the usage on stdout and nothing on stderr.
func TestHelpEverywhere(t *testing.T) {
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		paths = append(paths, path)
		for _, s := range c.Commands() {
			if s.IsAvailableCommand() {
				walk(s, append(append([]string{}, path...), s.Name()))
			}
		}
	}
	walk(newRoot(nil, nil, nil), nil)
	if len(paths) < 10 {
		t.Fatalf("only %d commands found: %v", len(paths), paths)
	}
	for _, path := range paths {
		for _, flag := range []string{"-h", "--help"} {
			args := append(append([]string{}, path...), flag)
			out, errText, code := runCLI(t, args...)
			if code != 0 || errText != "" || !strings.Contains(out, "Usage:") {
				t.Errorf("%v: exit %d, stderr %q, stdout %q", args, code, errText, out)
			}
			for _, line := range strings.Split(out, "\n") {
				if len([]rune(line)) > 120 {
					t.Errorf("%v: help line of %d columns: %q", args, len([]rune(line)), line)
				}
			}
		}
	}
}

// TestUsageErrors: mistakes print the command's name, a did-you-mean
// where one helps, and the usage, on stderr; exit 1.
func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"benhc"}, []string{"retrollama: unknown command \"benhc\"", `Did you mean "bench"?`, "Usage:"}},
		{[]string{"kernels", "lsit"}, []string{"retrollama kernels: unknown command", `Did you mean "list"?`, "Usage:"}},
		{[]string{"bench", "comapre", "a", "b"}, []string{"retrollama bench: unknown command", `Did you mean "compare"?`}},
		{[]string{"bench", "--a", "reference", "--b", "fsat", "--synthetic", "stories260K"}, []string{"retrollama bench:", `Did you mean "fast"?`}},
		{[]string{"kernels", "check", "--provider", "builtin.unrol8"}, []string{"retrollama kernels check:", `Did you mean "builtin.unroll8"?`}},
		{[]string{"run", "--synthetic", "stories260K", "--profile", "avx3"}, []string{"retrollama run:", `Did you mean "avx2"?`}},
		{[]string{"bench", "--runz", "3"}, []string{"retrollama bench: unknown flag: --runz", "Usage:"}},
		{[]string{"quantize", "only-one.bin"}, []string{"retrollama quantize: want IN.bin and OUT.bin", "Usage:"}},
		{[]string{"quantize", "--format", "q4", "a.bin", "b.bin"}, []string{"retrollama quantize: unknown --format \"q4\"", "q8_0-per-matrix"}},
		{[]string{"quantize", "--format", "q8_0-per-matrix", "--group-size", "32", "a.bin", "b.bin"}, []string{"--group-size applies to --format q8_0 only"}},
		{[]string{"quantize", "--max-rel-error", "0.02", "a.bin", "b.bin"}, []string{"--max-rel-error applies to --format q8_0-per-matrix only"}},
		{[]string{"quantize", "--format", "q8_0-per-matrix", "--max-rel-error", "0", "a.bin", "b.bin"}, []string{"--max-rel-error 0 must be positive"}},
	}
	for _, c := range cases {
		out, errText, code := runCLI(t, c.args...)
		if code != 1 || out != "" {
			t.Errorf("%v: exit %d, stdout %q", c.args, code, out)
		}
		for _, w := range c.want {
			if !strings.Contains(errText, w) {
				t.Errorf("%v: stderr lacks %q:\n%s", c.args, w, errText)
			}
		}
	}
}

// TestFriendlyFirstRun: a synthetic model is announced as random weights
// with where to get a real one; a --kernels file that is not text fails in
// one line; --threads above the cores warns.
func TestFriendlyFirstRun(t *testing.T) {
	_, errText, code := runCLI(t, "run", "--synthetic", "stories260K", "-n", "2")
	if code != 0 || !strings.Contains(errText, "synthetic (random weights)") || !strings.Contains(errText, "huggingface.co/karpathy/tinyllamas") {
		t.Errorf("synthetic: exit %d, stderr %q", code, errText)
	}
	bin := filepath.Join(t.TempDir(), "model.bin")
	if err := os.WriteFile(bin, []byte{0x20, 0x01, 0, 0, 0xff, 0xfe}, 0o644); err != nil {
		t.Fatal(err)
	}
	_, errText, code = runCLI(t, "kernels", "list", "--kernels", bin)
	if code != 1 || strings.Count(errText, "\n") != 1 || !strings.Contains(errText, "not a kernels.hcl text file") {
		t.Errorf("binary --kernels: exit %d, stderr %q", code, errText)
	}
	_, errText, _ = runCLI(t, "run", "--synthetic", "stories260K", "-n", "2", "--threads", "100000")
	if !strings.Contains(errText, "--threads 100000 is more than this machine's") {
		t.Errorf("--threads above the cores: stderr %q", errText)
	}
}

// TestBenchCtrlC: Ctrl-C during a bench writes the runs finished so far,
// marked partial, and exits 130; the run does not go on to the end.
func TestBenchCtrlC(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a bench process")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "partial.json")
	cmd := exec.Command(exe, "bench", "--a", "reference", "--b", "fast", "--synthetic", "stories260K",
		"-n", "64", "--runs", "100000", "--warmup", "0", "--format", "json", "--out", out)
	cmd.Env = append(os.Environ(), "RETROLLAMA_TEST_AS_CLI=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second) // synthetic model built, some rounds measured
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Fatalf("exit %v, want 130; stderr:\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "interrupted: the report is partial") {
		t.Errorf("stderr does not say the report is partial:\n%s", stderr.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("no report written: %v", err)
	}
	var r struct {
		Partial  bool `json:"partial"`
		Profiles []struct {
			Runs []float64 `json:"tg_tok_per_sec"`
		} `json:"profiles"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	if !r.Partial || len(r.Profiles) != 2 || len(r.Profiles[0].Runs) == 0 || len(r.Profiles[0].Runs) >= 100000 {
		t.Errorf("report: partial %v, profiles %d, runs of A %d", r.Partial, len(r.Profiles), len(r.Profiles[0].Runs))
	}
}

// TestREADMEJourneysFit: the README's journeys (real output of every
// command) fit a 120-column terminal.
func TestREADMEJourneysFit(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	start := strings.Index(text, "## Command-line journeys")
	if start < 0 {
		t.Fatal("README has no Command-line journeys section")
	}
	section := text[start:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	for _, cmd := range []string{"retrollama run", "kernels list", "kernels explain", "kernels check", "quantize",
		"synthetic", "retrollama bench --a", "bench compare", "bench ops"} {
		if !strings.Contains(section, cmd) {
			t.Errorf("the journeys do not show %q", cmd)
		}
	}
	for i, line := range strings.Split(section, "\n") {
		if n := len([]rune(line)); n > 120 {
			t.Errorf("journeys line %d is %d columns: %q", i+1, n, line)
		}
	}
}

// TestBenchOpsSweepFiles: --sweep --json/--html write the sweep and its
// charts; without --sweep they are a usage error; a directory that does
// not exist fails before anything is measured.
func TestBenchOpsSweepFiles(t *testing.T) {
	dir := t.TempDir()
	js, page := filepath.Join(dir, "s.json"), filepath.Join(dir, "s.html")
	args := []string{"bench", "ops", "--sweep", "--provider", "builtin.unroll8", "--models", "stories260K", "--time", "1ms"}
	out, errText, code := runCLI(t, append(args, "--json", js, "--html", page)...)
	if code != 0 || !strings.Contains(out, "builtin.unroll8") {
		t.Fatalf("exit %d: %s\n%s", code, errText, out)
	}
	f, err := os.Open(js)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := ops.ReadSweepJSON(f)
	if err != nil || len(r.Results) == 0 {
		t.Errorf("the json does not read back: %v", err)
	}
	html, err := os.ReadFile(page)
	if err != nil || !strings.Contains(string(html), "GFLOP/s") || !strings.Contains(string(html), "GB/s") || !strings.Contains(string(html), "<svg") {
		t.Errorf("the html page lacks its charts (%v)", err)
	}
	if _, errText, code := runCLI(t, "bench", "ops", "--provider", "builtin.unroll8", "--json", js); code != 1 || !strings.Contains(errText, "--sweep") {
		t.Errorf("--json without --sweep: exit %d, %q", code, errText)
	}
	if _, errText, code := runCLI(t, append(args, "--html", filepath.Join(dir, "no", "s.html"))...); code != 1 || !strings.Contains(errText, "does not exist") {
		t.Errorf("missing directory: exit %d, %q", code, errText)
	}
}
