package analysis_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/bench"
	"github.com/retrollama/retrollama/internal/bench/analysis"
	"github.com/retrollama/retrollama/internal/bench/compare"
)

// measured is a report of profiles A and B with the given generation
// tokens/s, as the runner records them, analysed by Fill.
func measured(t *testing.T, a, b string, sa, sb []float64) *bench.Report {
	t.Helper()
	r := &bench.Report{Profiles: []bench.Profile{{Name: a, GenTokPerSec: sa}, {Name: b, GenTokPerSec: sb}}}
	if err := analysis.Fill(r); err != nil {
		t.Fatal(err)
	}
	return r
}

// onceRuns are ten generation speeds of a profile that does every op
// once, with the run-to-run scatter of a shared machine (±2%).
var onceRuns = []float64{100.4, 98.1, 101.9, 99.6, 100.9, 97.8, 102.0, 99.2, 100.1, 98.7}

// scaled returns the runs multiplied by f, with scatter of its own: each
// run's neighbour's deviation, so B's runs are not A's in lock step.
func scaled(runs []float64, f float64) []float64 {
	out := make([]float64, len(runs))
	for i := range runs {
		out[i] = f * runs[(i+3)%len(runs)]
	}
	return out
}

// TestFillVerdicts checks Fill's verdict on injected runs. Known factor:
// B does every op twice, so it runs at a little over half A's speed (the
// glue between ops is not doubled): the verdict must say slower and its
// CI must reach the true ratio's neighbourhood. Same profile: A against
// an identical profile is "no significant difference".
func TestFillVerdicts(t *testing.T) {
	for _, tt := range []struct {
		name, b     string
		factor      float64
		significant bool
		verdict     []string
		ciLo, ciHi  float64 // the CI must reach into [ciLo, ciHi]
	}{
		{"known factor", "twice", 0.505, true, []string{"twice is", "slower than once"}, 0.48, 0.53},
		{"same profile", "again", 1, false, []string{"no significant difference"}, 0.99, 1.01},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := measured(t, "once", tt.b, onceRuns, scaled(onceRuns, tt.factor))
			c := r.Comparisons[0]
			ok := c.Significant == tt.significant && c.CILow <= tt.ciHi && c.CIHigh >= tt.ciLo
			for _, w := range tt.verdict {
				ok = ok && strings.Contains(c.Verdict, w)
			}
			if !ok {
				t.Errorf("%s (significant %v, speedup %.3f, CI %.3f…%.3f); want significant %v, %q, a CI reaching %.2f–%.2f",
					c.Verdict, c.Significant, c.Speedup, c.CILow, c.CIHigh, tt.significant, tt.verdict, tt.ciLo, tt.ciHi)
			}
			t.Log(c.Verdict)
		})
	}
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

// TestFillTooFewRuns: in a partial report, a comparison lacking 2 runs on
// a side is left out with a warning (once, however often Fill runs), and
// the others are made.
func TestFillTooFewRuns(t *testing.T) {
	r := &bench.Report{Partial: true, Profiles: []bench.Profile{
		{Name: "a", GenTokPerSec: []float64{100, 101, 99}, PromptTokPerSec: []float64{300, 310, 290}},
		{Name: "b", GenTokPerSec: []float64{200}, PromptTokPerSec: []float64{600}},
		{Name: "c", GenTokPerSec: []float64{150, 151}, PromptTokPerSec: []float64{450, 451}},
		{Name: "d"},
	}}
	for range 2 {
		if err := analysis.Fill(r); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{
		"generation: b is not compared with a: b has 1 run, and a comparison needs at least 2 runs of each",
		"prompt processing: b is not compared with a: b has 1 run, and a comparison needs at least 2 runs of each",
		"generation: d is not compared with a: d has 0 runs, and a comparison needs at least 2 runs of each",
	}
	if !slices.Equal(r.Warnings, want) {
		t.Errorf("warnings\n%q\nwant\n%q", r.Warnings, want)
	}
	if len(r.Comparisons) != 2 || r.Comparisons[0].Subject != "c" || r.Comparisons[1].Subject != "c" {
		t.Errorf("comparisons %+v, want c's two", r.Comparisons)
	}
	if g := r.Profiles[1].Gen; g.N != 1 || g.Median != 200 {
		t.Errorf("b's summary %+v", g)
	}
}

// TestBetweenKeepsMarks: comparing a partial report keeps it marked, says
// which one was, and carries both reports' warnings.
func TestBetweenKeepsMarks(t *testing.T) {
	old := &bench.Report{Warnings: []string{"tg 95% CI half-width of fast is 3%"}, Profiles: []bench.Profile{
		{Name: "fast", GenTokPerSec: []float64{100, 101, 99, 100}},
	}}
	new := &bench.Report{Partial: true, PartialReason: "interrupted (context canceled) after 1 measured rounds of 10", Profiles: []bench.Profile{
		{Name: "fast", GenTokPerSec: []float64{200}},
	}}
	r, err := analysis.Between(old, new)
	if err != nil {
		t.Fatal(err)
	}
	wantWarnings := []string{
		"old: tg 95% CI half-width of fast is 3%",
		"generation: new:fast is not compared with old:fast: new:fast has 1 run, and a comparison needs at least 2 runs of each",
	}
	if !r.Partial || r.PartialReason != "the new report is partial: interrupted (context canceled) after 1 measured rounds of 10" ||
		!slices.Equal(r.Warnings, wantWarnings) || len(r.Comparisons) != 0 {
		t.Errorf("partial %v %q, warnings %q, comparisons %+v", r.Partial, r.PartialReason, r.Warnings, r.Comparisons)
	}
	if r, err := analysis.Between(old, old); err != nil || r.Partial || r.PartialReason != "" {
		t.Errorf("two complete reports: %+v, %v", r, err)
	}
}
