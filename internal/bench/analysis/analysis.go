// Package analysis turns a report's raw samples into its summaries and
// verdicts: the per-profile medians with confidence intervals, and each
// later profile's speedup over the first (for "bench"), or each profile's
// change between two saved reports (for "bench compare").
package analysis

import (
	"fmt"
	"slices"
	"strings"

	"github.com/retrollama/retrollama/internal/bench"
	"github.com/retrollama/retrollama/internal/bench/compare"
	"github.com/retrollama/retrollama/internal/bench/stats"
)

// Metrics compared, by their JSON names.
const (
	Generation = "tg_tok_per_sec"
	Prompt     = "pp_tok_per_sec"
)

// Fill computes every profile's summaries and every comparison of a
// profile against the first one (A), on generation and, when both
// measured it, prompt tokens/s (an external command reports generation
// only). A comparison needs at least 2 runs on each side: in a partial
// report one that lacks them is left out and a Warning says so.
func Fill(r *bench.Report) error {
	for i := range r.Profiles {
		p := &r.Profiles[i]
		p.Gen = stats.Summarize(p.GenTokPerSec)
		if hasPrompt(p) {
			p.Prompt = stats.Summarize(p.PromptTokPerSec)
		}
	}
	r.Comparisons = nil
	for i := 1; i < len(r.Profiles); i++ {
		for _, metric := range []string{Generation, Prompt} {
			if metric == Prompt && !(hasPrompt(&r.Profiles[0]) && hasPrompt(&r.Profiles[i])) {
				continue
			}
			if w := tooFewRuns(&r.Profiles[0], &r.Profiles[i], metric); w != "" {
				warn(r, w)
				continue
			}
			c, err := Compare(&r.Profiles[0], &r.Profiles[i], metric)
			if err != nil {
				return err
			}
			r.Comparisons = append(r.Comparisons, c)
		}
	}
	return nil
}

// minRuns is the fewest runs per side a comparison needs.
const minRuns = 2

// tooFewRuns is the warning that b cannot be compared with a on metric
// for lack of runs, or "" when it can.
func tooFewRuns(a, b *bench.Profile, metric string) string {
	var short []string
	for _, p := range []*bench.Profile{a, b} {
		if n := len(samples(p, metric)); n < minRuns {
			short = append(short, fmt.Sprintf("%s has %s", p.Name, runs(n)))
		}
	}
	if len(short) == 0 {
		return ""
	}
	return fmt.Sprintf("%s: %s is not compared with %s: %s, and a comparison needs at least %d runs of each",
		metricName(metric), b.Name, a.Name, strings.Join(short, " and "), minRuns)
}

// warn adds w to r's warnings once (Fill may be called again).
func warn(r *bench.Report, w string) {
	if !slices.Contains(r.Warnings, w) {
		r.Warnings = append(r.Warnings, w)
	}
}

func runs(n int) string {
	if n == 1 {
		return "1 run"
	}
	return fmt.Sprintf("%d runs", n)
}

func metricName(metric string) string {
	if metric == Prompt {
		return "prompt processing"
	}
	return "generation"
}

func hasPrompt(p *bench.Profile) bool {
	for _, v := range p.PromptTokPerSec {
		if v > 0 {
			return true
		}
	}
	return false
}

func samples(p *bench.Profile, metric string) []float64 {
	if metric == Prompt {
		return p.PromptTokPerSec
	}
	return p.GenTokPerSec
}

// Compare is b against a on one metric ("higher is better").
func Compare(a, b *bench.Profile, metric string) (bench.Comparison, error) {
	sa, sb := samples(a, metric), samples(b, metric)
	s, err := stats.Compare(sa, sb)
	if err != nil {
		return bench.Comparison{}, fmt.Errorf("compare %s with %s on %s: %w", b.Name, a.Name, metric, err)
	}
	what := metricName(metric)
	verdict := what + ": " + s.Verdict(a.Name, b.Name)
	for _, p := range []*bench.Profile{b, a} {
		if note := p.SubstitutionNote(); note != "" {
			verdict += " — but " + note
		}
	}
	return bench.Comparison{
		Baseline: a.Name, Subject: b.Name, Metric: metric,
		Speedup: s.Ratio, CILow: s.Lo, CIHigh: s.Hi, PValue: s.P,
		Samples:     [2][]float64{sa, sb},
		Significant: s.Significant,
		Verdict:     verdict,
	}, nil
}

// Between is BetweenWith without forcing: it refuses, with a
// *compare.RefusedError, reports that differ in model, sequence length,
// threads, baseline profile or schema.
func Between(old, new *bench.Report) (*bench.Report, error) {
	return BetweenWith(old, new, compare.Options{})
}

// BetweenWith compares two saved reports: for every profile present in
// both, the new run against the old. It first checks that they are
// comparable (compare.Between): differences of severity Refuse fail with
// a *compare.RefusedError listing every difference, unless opt.Force.
// The result is a report whose profiles are "old:NAME" and "new:NAME"
// pairs, with the new report's environment and settings, and whose
// Between holds both reports' environments and settings and their
// differences, which every output of internal/bench/report shows.
func BetweenWith(old, new *bench.Report, opt compare.Options) (*bench.Report, error) {
	between, err := compare.Between(old, new, opt)
	if err != nil {
		return nil, err
	}
	out := &bench.Report{Schema: bench.SchemaVersion, Created: new.Created, Env: new.Env, Settings: new.Settings, Between: between}
	var reasons []string
	for _, in := range []struct {
		name string
		r    *bench.Report
	}{{"old", old}, {"new", new}} {
		if in.r.Partial {
			reasons = append(reasons, "the "+in.name+" report is partial: "+orUnknown(in.r.PartialReason))
		}
		for _, w := range in.r.Warnings {
			out.Warnings = append(out.Warnings, in.name+": "+w)
		}
	}
	if len(reasons) > 0 {
		out.Partial, out.PartialReason = true, strings.Join(reasons, "; ")
	}
	for _, np := range new.Profiles {
		for _, op := range old.Profiles {
			if op.Name != np.Name {
				continue
			}
			o, n := op, np
			o.Name, o.Label = "old:"+op.Name, "old"
			n.Name, n.Label = "new:"+np.Name, "new"
			o.Gen, n.Gen = stats.Summarize(o.GenTokPerSec), stats.Summarize(n.GenTokPerSec)
			if hasPrompt(&o) && hasPrompt(&n) {
				o.Prompt, n.Prompt = stats.Summarize(o.PromptTokPerSec), stats.Summarize(n.PromptTokPerSec)
			}
			out.Profiles = append(out.Profiles, o, n)
			for _, metric := range []string{Generation, Prompt} {
				if metric == Prompt && !(hasPrompt(&o) && hasPrompt(&n)) {
					continue
				}
				if w := tooFewRuns(&o, &n, metric); w != "" {
					warn(out, w)
					continue
				}
				c, err := Compare(&o, &n, metric)
				if err != nil {
					return nil, err
				}
				out.Comparisons = append(out.Comparisons, c)
			}
		}
	}
	if len(out.Profiles) == 0 {
		return nil, fmt.Errorf("the two reports have no profile in common")
	}
	return out, nil
}

// orUnknown is reason, or a placeholder when a partial report gave none.
func orUnknown(reason string) string {
	if reason == "" {
		return "no reason recorded"
	}
	return reason
}
