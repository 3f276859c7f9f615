package analysis_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/bench"
	"github.com/retrollama/retrollama/bench/analysis"
	"github.com/retrollama/retrollama/bench/compare"
	"github.com/retrollama/retrollama/bench/internal/benchtest"
	"github.com/retrollama/retrollama/bench/runner"
)

// measure runs and analyses profiles A and B of the test doubles.
func measure(t *testing.T, a, b string) *bench.Report {
	t.Helper()
	c := benchtest.Config(t, a, b)
	c.Runs, c.Warmup, c.GenTokens, c.PromptTokens = 10, 2, 32, 0
	r, err := runner.Run(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := analysis.Fill(r); err != nil {
		t.Fatal(err)
	}
	return r
}

// attempts: timing on a shared machine can fool any single 95% test (by
// design 5% of A-vs-A runs look significant), so each statistical claim
// gets three independent measurements and must hold in at least one; a
// real defect fails all three.
const attempts = 3

// TestKnownFactor: B does every op twice, so it runs at a little over half
// A's speed (the glue between ops is not doubled): the verdict must say
// slower and its CI must reach the true ratio's neighbourhood.
func TestKnownFactor(t *testing.T) {
	var last bench.Comparison
	for range attempts {
		r := measure(t, "once", "twice")
		c := r.Comparisons[0]
		last = c
		if c.Significant && strings.Contains(c.Verdict, "twice is") && strings.Contains(c.Verdict, "slower than once") && c.CILow <= 0.53 && c.CIHigh >= 0.48 {
			t.Logf("%s", c.Verdict)
			return
		}
	}
	t.Errorf("twice vs once: %s (speedup %.3f, CI %.3f…%.3f); want significantly slower with a CI reaching 0.48–0.53", last.Verdict, last.Speedup, last.CILow, last.CIHigh)
}

// TestSameProfileNoDifference: A against an identical profile is "no
// significant difference".
func TestSameProfileNoDifference(t *testing.T) {
	var last bench.Comparison
	for range attempts {
		r := measure(t, "once", "again")
		last = r.Comparisons[0]
		if !last.Significant && strings.Contains(last.Verdict, "no significant difference") {
			t.Logf("%s", last.Verdict)
			return
		}
	}
	t.Errorf("A vs A: %s", last.Verdict)
}

func TestBetween(t *testing.T) {
	old := &bench.Report{Profiles: []bench.Profile{
		{Name: "fast", GenTokPerSec: []float64{100, 101, 99, 100, 102, 98, 100, 101}},
		{Name: "only-old", GenTokPerSec: []float64{1, 2}},
	}}
	new := &bench.Report{Profiles: []bench.Profile{
		{Name: "fast", GenTokPerSec: []float64{200, 202, 198, 200, 204, 196, 200, 202}},
	}}
	r, err := analysis.Between(old, new)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Profiles) != 2 || r.Profiles[0].Name != "old:fast" || len(r.Comparisons) != 1 {
		t.Fatalf("report %+v", r)
	}
	if c := r.Comparisons[0]; !c.Significant || c.Speedup < 1.9 || c.Speedup > 2.1 {
		t.Errorf("comparison %+v", c)
	}
	if _, err := analysis.Between(old, &bench.Report{Profiles: []bench.Profile{{Name: "x"}}}); err == nil {
		t.Error("reports with nothing in common compared")
	}
}

// TestBetweenRefuses checks that Between refuses reports of another
// sequence length with a *compare.RefusedError, and BetweenWith forced
// compares them and records the refusal on the result.
func TestBetweenRefuses(t *testing.T) {
	report := func(n int) *bench.Report {
		return &bench.Report{Settings: bench.Settings{GenTokens: n}, Profiles: []bench.Profile{
			{Name: "fast", GenTokPerSec: []float64{100, 101, 99, 100}},
		}}
	}
	_, err := analysis.Between(report(256), report(8))
	var refused *compare.RefusedError
	if !errors.As(err, &refused) || len(refused.Differences) != 1 || refused.Differences[0].Field != "settings.gen_tokens" {
		t.Fatalf("Between = %v, want a refusal naming settings.gen_tokens", err)
	}
	r, err := analysis.BetweenWith(report(256), report(8), compare.Options{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.Between == nil || !r.Between.Forced || len(r.Comparisons) != 1 {
		t.Errorf("forced: Between %+v, %d comparisons", r.Between, len(r.Comparisons))
	}
	r, err = analysis.Between(report(8), report(8))
	if err != nil || r.Between == nil || r.Between.Forced || len(r.Between.Differences) != 0 {
		t.Errorf("same settings: %v, Between %+v", err, r.Between)
	}
}
