package runner_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/retrollama/retrollama/internal/bench"
	"github.com/retrollama/retrollama/internal/bench/analysis"
	"github.com/retrollama/retrollama/internal/bench/benchtest"
	"github.com/retrollama/retrollama/internal/bench/report"
	. "github.com/retrollama/retrollama/internal/bench/runner"
)

// fakeSource stands in for the --isolate process: each measured run of
// any profile returns the next of its values (value(call), call counted
// from 1 over all profiles in run order) and records it per profile, so a
// test knows exactly which runs finished. At call cancelAt it cancels the
// bench's context during the run; the run then fails like a killed
// process when killed, or finishes anyway (a run that ends on its own).
type fakeSource struct {
	value    func(call int) float64
	cancelAt int
	cancel   context.CancelFunc
	killed   bool

	calls    int
	finished map[string][]float64
}

func (f *fakeSource) run(ctx context.Context, profile string) (Sample, int64, error) {
	f.calls++
	if f.calls == f.cancelAt {
		f.cancel()
		if f.killed {
			<-ctx.Done()
			return Sample{}, 0, fmt.Errorf("worker for %s: signal: killed", profile)
		}
	}
	v := f.value(f.calls)
	if f.finished == nil {
		f.finished = map[string][]float64{}
	}
	f.finished[profile] = append(f.finished[profile], v)
	return Sample{GenTokPerSec: v, PromptTokPerSec: 2 * v, TTFT: time.Millisecond}, 1 << 20, nil
}

// TestCancelAfterRounds: cancelled after k measured rounds (from the
// progress hook, i.e. between runs), the bench returns a partial report
// holding exactly k runs per profile, without the correctness and per-op
// passes, and says so.
func TestCancelAfterRounds(t *testing.T) {
	for _, k := range []int{1, 2, 4} {
		ctx, cancel := context.WithCancel(context.Background())
		c := benchtest.Config(t, "once", "twice")
		c.Runs = 6
		c.Progress = func(done, total int) {
			if done == k {
				cancel()
			}
		}
		r, err := RunContext(ctx, c)
		cancel()
		if err != nil {
			t.Fatalf("k=%d: %v", k, err)
		}
		for _, p := range r.Profiles {
			if len(p.GenTokPerSec) != k || len(p.PromptTokPerSec) != k || len(p.TTFTSeconds) != k || len(p.Ops) != 0 {
				t.Errorf("k=%d: %s holds %d tg, %d pp, %d TTFT samples and %d ops; want %d, %d, %d, 0",
					k, p.Name, len(p.GenTokPerSec), len(p.PromptTokPerSec), len(p.TTFTSeconds), len(p.Ops), k, k, k)
			}
		}
		want := fmt.Sprintf("interrupted (context canceled) after %d measured rounds of 6; the correctness check and the per-op breakdown were skipped", k)
		if !r.Partial || r.PartialReason != want || len(r.Correctness) != 0 || r.Settings.Runs != k {
			t.Errorf("k=%d: partial %v %q, correctness %v, settings.runs %d; want reason %q",
				k, r.Partial, r.PartialReason, r.Correctness, r.Settings.Runs, want)
		}
	}
}

// TestCancelMidRound: a cancellation during B's run of round 3. A run
// that can be stopped (an isolated process) is killed and dropped, so A
// keeps 3 runs and B 2; one that ends on its own is kept, and nothing
// starts after it. Either way the samples are exactly the finished runs,
// in order.
func TestCancelMidRound(t *testing.T) {
	for _, tt := range []struct {
		killed bool
		runs   [2]int
		reason string
	}{
		{true, [2]int{3, 2}, "interrupted (context canceled) in measured round 3 of 10, which only once finished (one run more than the others); " +
			"the run of twice under way was stopped and dropped; the correctness check and the per-op breakdown were skipped"},
		{false, [2]int{3, 3}, "interrupted (context canceled) after 3 measured rounds of 10; the correctness check and the per-op breakdown were skipped"},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		src := &fakeSource{value: func(call int) float64 { return float64(100 + call) }, cancelAt: 6, cancel: cancel, killed: tt.killed}
		c := benchtest.Config(t, "once", "twice")
		c.Runs, c.IsolatedContext = 10, src.run
		r, err := RunContext(ctx, c)
		cancel()
		if err != nil {
			t.Fatalf("killed=%v: %v", tt.killed, err)
		}
		for i, p := range r.Profiles {
			if len(p.GenTokPerSec) != tt.runs[i] || !slices.Equal(p.GenTokPerSec, src.finished[p.Name]) || len(p.PeakRSSBytes) != tt.runs[i] {
				t.Errorf("killed=%v: %s holds %v (RSS %v), want the %d finished runs %v",
					tt.killed, p.Name, p.GenTokPerSec, p.PeakRSSBytes, tt.runs[i], src.finished[p.Name])
			}
		}
		if !r.Partial || r.PartialReason != tt.reason || r.Settings.Runs != 2 && tt.killed {
			t.Errorf("killed=%v: partial %v, settings.runs %d, reason\n%q, want\n%q", tt.killed, r.Partial, r.Settings.Runs, r.PartialReason, tt.reason)
		}
		if src.calls != 6 {
			t.Errorf("killed=%v: %d runs started, want none after the cancelled 6th", tt.killed, src.calls)
		}
	}
}

// TestCancelledBeforeAnyRun: cancelled during warm-up (here: before it),
// the report holds no runs and still renders in every format.
func TestCancelledBeforeAnyRun(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("interrupt signal received"))
	c := benchtest.Config(t, "once", "twice")
	r, err := RunContext(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	want := "interrupted (interrupt signal received) in warm-up round 1 of 1, before any measured run; the correctness check and the per-op breakdown were skipped"
	if !r.Partial || r.PartialReason != want || len(r.Profiles[0].GenTokPerSec)+len(r.Profiles[1].GenTokPerSec) != 0 {
		t.Fatalf("partial %v, reason %q, profiles %+v", r.Partial, r.PartialReason, r.Profiles)
	}
	checkPartialEverywhere(t, r)
}

// TestCancelKillsCommand: a command under way when the bench is
// cancelled is killed at once, not waited for.
func TestCancelKillsCommand(t *testing.T) {
	cmd, err := NewCommand("slow", fakeRun(t)+" sleep 60", "", vars)
	if err != nil {
		t.Fatal(err)
	}
	c := benchtest.Config(t, "once", "cmd:slow")
	c.Commands = map[string]*Command{"slow": cmd}
	// Long enough for the command to start even on a loaded machine
	// under -race (300 ms was not, once, in CI); the cancellation then
	// finds it running and kills it.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	r, err := RunContext(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the bench took %v to stop a 60 s command", took)
	}
	want := "interrupted (context deadline exceeded) in warm-up round 1 of 1, before any measured run; the warm-up run of cmd:slow under way was stopped; the per-op breakdown was skipped"
	notStarted := strings.Replace(want, "; the warm-up run of cmd:slow under way was stopped", "", 1)
	switch {
	case r.Partial && r.PartialReason == want:
	case r.Partial && r.PartialReason == notStarted:
		t.Logf("the command had not started within 2 s: nothing to kill (%s)", r.PartialReason)
	default:
		t.Errorf("partial %v, reason\n%q, want\n%q", r.Partial, r.PartialReason, want)
	}

	s, err := cmd.RunContext(ctx) // already cancelled: never started
	if err == nil || !strings.Contains(err.Error(), "cmd:slow: stopped: context deadline exceeded") || s.GenTokPerSec != 0 {
		t.Errorf("RunContext after cancellation: %+v, %v", s, err)
	}
}

// TestPartialInEveryFormat: the report of a bench cancelled after 2 of
// its runs, analysed, says partial in every format (text: on its first
// line), and its statistics cover the 2 runs.
func TestPartialInEveryFormat(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src := &fakeSource{value: func(call int) float64 { return float64(100 + call) }, cancelAt: 5, cancel: cancel, killed: true}
	c := benchtest.Config(t, "once", "twice")
	c.Runs, c.IsolatedContext = 10, src.run
	r, err := RunContext(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := analysis.Fill(r); err != nil {
		t.Fatal(err)
	}
	if g := r.Profiles[0].Gen; g.N != 2 || g.Median != 102 {
		t.Errorf("A's tg summary %+v, want the median of its 2 runs 101 and 103", g)
	}
	if len(r.Comparisons) != 2 {
		t.Errorf("comparisons %+v, want tg and pp on 2+2 runs", r.Comparisons)
	}
	checkPartialEverywhere(t, r)
}

// checkPartialEverywhere renders r in every format and checks each
// carries the partial mark where a reader sees it first.
func checkPartialEverywhere(t *testing.T, r *bench.Report) {
	t.Helper()
	if err := analysis.Fill(r); err != nil {
		t.Fatal(err)
	}
	mark := "PARTIAL REPORT: " + r.PartialReason
	for _, f := range []struct {
		name  string
		fn    func(io.Writer, *bench.Report) error
		check func(out string) bool
	}{
		{"text", report.Text, func(out string) bool { return strings.HasPrefix(out, mark) }},
		{"markdown", report.Markdown, func(out string) bool { return strings.Contains(out, "\n> **PARTIAL REPORT:** interrupted") }},
		{"html", report.HTML, func(out string) bool {
			return strings.Contains(out, `<p class="partial" role="alert"><strong>PARTIAL REPORT:</strong> interrupted`)
		}},
		{"json", report.JSON, func(out string) bool {
			return strings.Contains(out, `"partial": true`) && strings.Contains(out, `"partial_reason": "`+r.PartialReason+`"`)
		}},
		{"csv", report.CSV, func(out string) bool {
			rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
			return err == nil && len(rows) > 1 && rows[1][3] == "partial" && strings.HasPrefix(rows[1][4], mark)
		}},
		{"benchstat", report.Benchstat, func(out string) bool { return strings.HasPrefix(out, "partial: "+mark) }},
	} {
		var b bytes.Buffer
		if err := f.fn(&b, r); err != nil {
			t.Errorf("%s: %v", f.name, err)
			continue
		}
		if !f.check(b.String()) {
			t.Errorf("%s does not mark the report partial:\n%s", f.name, b.String())
		}
	}
	var b bytes.Buffer
	r.Env = bench.Environment{GOOS: "linux", GOARCH: "amd64", Model: "synthetic:stories260K"} // the CLI's part
	if err := report.JSON(&b, r); err != nil {
		t.Fatal(err)
	}
	back, err := report.ReadJSON(&b)
	if err != nil || !back.Partial || back.PartialReason != r.PartialReason {
		t.Errorf("JSON round trip of a partial report: %+v, %v", back, err)
	}
}

// TestCommandOwnProcessGroup: a command runs in a process group of its
// own, so the terminal's Ctrl-C reaches bench first, and a cancellation
// kills the processes it started too, without waiting for them.
func TestCommandOwnProcessGroup(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	cmd, err := NewCommand("pgid", fakeRun(t)+" pgid", "", vars)
	if err != nil {
		t.Fatal(err)
	}
	s, err := cmd.Run()
	if err != nil || int(s.GenTokPerSec) == syscall.Getpgrp() || s.GenTokPerSec <= 1 {
		t.Errorf("the command's process group %v (%v), bench's %d", s.GenTokPerSec, err, syscall.Getpgrp())
	}

	cmd, err = NewCommand("slow", fakeRun(t)+" sleepchild 60", "", vars)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = cmd.RunContext(ctx)
	if took := time.Since(start); err == nil || took > 3*time.Second {
		t.Errorf("a command whose child sleeps 60 s stopped after %v (%v); its group should die at once", took, err)
	}
}
