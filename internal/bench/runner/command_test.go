package runner_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/bench"
	"github.com/retrollama/retrollama/internal/bench/analysis"
	"github.com/retrollama/retrollama/internal/bench/benchtest"
	. "github.com/retrollama/retrollama/internal/bench/runner"
)

// fakeRun is the stand-in for llama2.c's run (testdata/fakerun.sh).
func fakeRun(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs("testdata/fakerun.sh")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var vars = Vars{Model: "/m/stories15M.bin", Tokenizer: "tok en.bin", Steps: 40, Prompt: "Once upon a time", Seed: 7, Threads: 2}

// TestNewCommandPlaceholders: the template is split like shell words
// first, then each placeholder filled inside its word, so a prompt or
// path with spaces stays one argument and nothing in a value is split or
// expanded.
func TestNewCommandPlaceholders(t *testing.T) {
	c, err := NewCommand("llama2c", `/tmp/l2c/run {model} -z {tokenizer} -t 0 -n {steps} -i {prompt} -s {seed} "OMP={threads}" 'lit {' a\ b`, "", vars)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/tmp/l2c/run", "/m/stories15M.bin", "-z", "tok en.bin", "-t", "0", "-n", "40", "-i", "Once upon a time", "-s", "7", "OMP=2", "lit {", "a b"}
	if !slices.Equal(c.Argv, want) || c.Label() != "cmd:llama2c" || c.Regex.String() != DefaultTokPerSec {
		t.Errorf("argv %q, label %s, regex %s; want %q", c.Argv, c.Label(), c.Regex, want)
	}
	if q := bench.QuoteArgs(c.Argv); !strings.Contains(q, "-z 'tok en.bin'") || !strings.Contains(q, "'Once upon a time'") {
		t.Errorf("Quote: %s", q)
	}
	v := vars
	v.Prompt = `it's $HOME; {model}`
	c, err = NewCommand("x", "run -i {prompt}", "", v)
	if err != nil || len(c.Argv) != 3 || c.Argv[2] != v.Prompt {
		t.Errorf("a prompt with quotes, $ and braces: %q, %v", c.Argv, err)
	}
	c, err = NewCommand("x", `run $HOME ~/m.bin "$(date)" # a comment`, "", v)
	if err != nil || !slices.Equal(c.Argv, []string{"run", "$HOME", "~/m.bin", "$(date)"}) {
		t.Errorf("nothing is expanded: %q, %v", c.Argv, err)
	}
}

func TestNewCommandRejects(t *testing.T) {
	for _, tt := range []struct{ name, template, regex, want string }{
		{"Llama", "run", "", "lower-case"},
		{"x", "", "", "empty command"},
		{"x", `run "unterminated`, "", "splitting"},
		{"x", "run a ; rm b", "", `";" in "run a ; rm b": no shell`},
		{"x", "run | tee log", "", `"|" in`},
		{"x", "run 2>&1", "", `"2>&1" in`},
		{"x", "run {modle}", "", "unknown placeholder in \"{modle}\""},
		{"x", "run", "tok/s: [0-9]+", "exactly one capture group"},
		{"x", "run", "(a)(b)", "exactly one capture group"},
		{"x", "run", "(", "--cmd-regex x"},
	} {
		if _, err := NewCommand(tt.name, tt.template, tt.regex, vars); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s=%q regex %q: %v, want %q", tt.name, tt.template, tt.regex, err, tt.want)
		}
	}
}

// TestCommandRun: the figure from stderr (llama2.c) or stdout, through the
// default or a custom regex; and every failure an error naming the command
// with its last stderr lines, never a zero.
func TestCommandRun(t *testing.T) {
	fake := fakeRun(t)
	for _, tt := range []struct {
		template, regex string
		want            float64
		err             []string
	}{
		{fake + " stderr 250.5", "", 250.5, nil},
		{fake + " stderr {steps}", "", 40, nil}, // placeholders reach the program
		{fake + " stdout 77", "", 77, nil},
		{fake + " custom 12.25", `([0-9.]+) tokens per second`, 12.25, nil},
		{fake + " custom 12.25", "", 0, []string{"cmd:fake (" + fake + " custom 12.25) printed no line matching", "no tokens per second"}},
		{fake + " nofigure", "", 0, []string{"cmd:fake", "printed no line matching", "  warming up\n  done, no figure"}},
		{fake + " zero", "", 0, []string{"cmd:fake", `printed "0" where`}},
		{fake + " fail", "", 0, []string{"cmd:fake (" + fake + " fail) exit status 3", "  reading checkpoint\n  Couldn't open file nope.bin"}},
		{"/nonexistent/run {model}", "", 0, []string{"cmd:fake", "/nonexistent/run"}},
	} {
		c, err := NewCommand("fake", tt.template, tt.regex, vars)
		if err != nil {
			t.Fatal(err)
		}
		s, err := c.Run()
		if tt.err == nil {
			if err != nil || s.GenTokPerSec != tt.want || s.PromptTokPerSec != 0 {
				t.Errorf("%s: %+v, %v; want %v tok/s", tt.template, s, err, tt.want)
			}
			continue
		}
		for _, want := range tt.err {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: err %v, want it to mention %q", tt.template, err, want)
			}
		}
	}
}

// TestRunWithCommand: a command takes part in the interleaved runs like a
// profile (here as the baseline A), with its figures and nothing else
// (no peak RSS: see Command.Run); the comparison is the profile against it.
func TestRunWithCommand(t *testing.T) {
	c := benchtest.Config(t, "cmd:fake", "once")
	cmd, err := NewCommand("fake", fakeRun(t)+" stderr 1e9", "", vars)
	if err != nil {
		t.Fatal(err)
	}
	c.Commands = map[string]*Command{"fake": cmd}
	c.Runs = 5 // 3+3 runs cannot make any difference significant
	r, err := Run(c)
	if err != nil {
		t.Fatal(err)
	}
	a, b := r.Profiles[0], r.Profiles[1]
	if a.Name != "cmd:fake" || a.Label != "A" || !slices.Equal(a.Command, cmd.Argv) || a.CommandRegex != DefaultTokPerSec ||
		!slices.Equal(a.GenTokPerSec, []float64{1e9, 1e9, 1e9, 1e9, 1e9}) || a.PeakRSSBytes != nil || a.PromptTokPerSec != nil || a.TTFTSeconds != nil || a.Ops != nil {
		t.Errorf("command's profile %+v", a)
	}
	if b.Name != "once" || b.Label != "B" || len(b.GenTokPerSec) != 5 || len(b.PromptTokPerSec) != 5 || len(b.Ops) == 0 || len(b.PeakRSSBytes) != 1 {
		t.Errorf("profile %+v", b)
	}
	if len(r.Correctness) != 0 {
		t.Errorf("correctness %+v with one profile", r.Correctness)
	}
	if err := analysis.Fill(r); err != nil {
		t.Fatal(err)
	}
	if len(r.Comparisons) != 1 || r.Comparisons[0].Metric != analysis.Generation || !strings.Contains(r.Comparisons[0].Verdict, "once is") ||
		!strings.Contains(r.Comparisons[0].Verdict, "slower than cmd:fake") {
		t.Errorf("comparisons %+v", r.Comparisons)
	}

	c = benchtest.Config(t, "once", "cmd:nope")
	if _, err := Run(c); err == nil || !strings.Contains(err.Error(), "--cmd nope=TEMPLATE") {
		t.Errorf("an unknown command: %v", err)
	}
	c = benchtest.Config(t, "once", "cmd:fake")
	cmd, _ = NewCommand("fake", fakeRun(t)+" fail", "", vars)
	c.Commands = map[string]*Command{"fake": cmd}
	if _, err := Run(c); err == nil || !strings.Contains(err.Error(), "command cmd:fake: warm-up:") || !strings.Contains(err.Error(), "Couldn't open file") {
		t.Errorf("a failing command: %v", err)
	}
}
