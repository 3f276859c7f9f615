package report

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/retrollama/retrollama/internal/bench"
)

// document is the human-readable content of a Report, assembled once and
// laid out by Text, Markdown and HTML.
type document struct {
	title       string
	partial     string          // partialMark's sentence without the label; "" for a complete report
	warnings    []string        // the report's warnings, one line each
	env         []keyValue      // one report's environment; unused when between is set
	between     *betweenSection // a "bench compare" report's two sides; nil otherwise
	profiles    table
	verdicts    []string
	correctness []string
	// substitutions is one sentence per profile that did not run as
	// named (bench --fallback): shown first, before any number.
	substitutions []string
	ops           []opSection
}

// opSection is the per-op breakdown of one profile.
type opSection struct {
	title string // "reference (A)"
	note  string // how to read the numbers, including the overhead
	table table  // empty when the profile has no per-op measurements
}

// constError is an error that can be a constant.
type constError string

// Error implements error.
func (e constError) Error() string { return string(e) }

// errNilReport is returned by every output for a nil *bench.Report.
const errNilReport = constError("report: nil *bench.Report")

// writeDocument builds r's document and lays it out on w with lay, one
// buffered write whose sticky error surfaces at the end.
func writeDocument(w io.Writer, r *bench.Report, lay func(*bufio.Writer, *document)) error {
	d, err := buildDocument(r)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	lay(bw, d)
	return bw.Flush()
}

// buildDocument assembles the content shared by the human-readable outputs.
func buildDocument(r *bench.Report) (*document, error) {
	if r == nil {
		return nil, errNilReport
	}
	d := &document{
		title:       "retrollama bench — " + r.Created.UTC().Format(time.DateTime+" MST"),
		partial:     partialSentence(r),
		env:         environment(r),
		profiles:    profileTable(r.Profiles),
		verdicts:    verdicts(r.Comparisons),
		correctness: correctness(r.Correctness),
	}
	if d.between = between(r); d.between != nil {
		d.title = "retrollama bench compare — " + r.Created.UTC().Format(time.DateTime+" MST")
		if note := forcedNote(r.Between); note != "" {
			d.verdicts = append([]string{note}, d.verdicts...)
		}
	}
	for _, p := range r.Profiles {
		if note := p.SubstitutionNote(); note != "" {
			d.substitutions = append(d.substitutions, p.Label+": "+note)
		}
	}
	if r.Partial {
		d.title += " (PARTIAL)"
		if len(d.correctness) == 0 && kernelProfiles(r.Profiles) >= 2 {
			d.correctness = []string{"not checked: the bench was interrupted before the correctness pass"}
		}
	}
	for _, w := range r.Warnings {
		d.warnings = append(d.warnings, oneLine(w))
	}
	for _, p := range r.Profiles {
		sec := opBreakdown(p)
		if r.Partial && len(p.Command) == 0 && len(p.Ops) == 0 {
			sec.note = "not measured: the bench was interrupted before the instrumented per-op pass"
		}
		d.ops = append(d.ops, sec)
	}
	return d, nil
}

// partialLabel and warningLabel start the lines that mark a partial
// report and each warning, in every format.
const (
	partialLabel = "PARTIAL REPORT:"
	warningLabel = "WARNING:"
)

// partialSentence says why a partial report stopped and that its
// statistics cover only the runs that finished; "" for a complete report.
func partialSentence(r *bench.Report) string {
	if !r.Partial {
		return ""
	}
	reason := strings.TrimRight(oneLine(r.PartialReason), ".")
	if reason == "" {
		reason = "no reason recorded"
	}
	return reason + ". The statistics cover only the runs that finished."
}

// partialMark is the one line that marks a partial report ("" for a
// complete one): partialLabel and partialSentence.
func partialMark(r *bench.Report) string {
	if !r.Partial {
		return ""
	}
	return partialLabel + " " + partialSentence(r)
}

// kernelProfiles counts the profiles that are not external commands.
func kernelProfiles(ps []bench.Profile) int {
	n := 0
	for _, p := range ps {
		if len(p.Command) == 0 {
			n++
		}
	}
	return n
}

// machine is the environment's "machine" line: platform, CPU, cores.
func machine(e bench.Environment) string {
	platform := e.GOOS + "/" + e.GOARCH
	if e.GO386 != "" {
		platform += " (GO386=" + e.GO386 + ")"
	}
	return fmt.Sprintf("%s, %s, %s", platform, orNA(e.CPU), plural(e.NumCPU, "CPU"))
}

// environment lists where and how the numbers were taken.
func environment(r *bench.Report) []keyValue {
	e, s := r.Env, r.Settings
	kv := []keyValue{
		{"model", orNA(e.Model) + " (sha256 " + shortHash(e.ModelHash) + ")"},
		{"kernels.hcl", "sha256 " + shortHash(e.KernelsHash)},
		{"machine", machine(e)},
	}
	if len(e.CPUFeatures) > 0 {
		kv = append(kv, keyValue{"cpu features", strings.Join(e.CPUFeatures, " ")})
	}
	kv = append(kv, keyValue{"go", orNA(e.GoVersion)})
	for _, p := range r.Profiles {
		if len(p.Command) > 0 {
			kv = append(kv, keyValue{"command " + p.Name, p.CommandLine() + " (tok/s read with /" + p.CommandRegex + "/)"})
		}
	}
	if e.Hostname != "" {
		kv = append(kv, keyValue{"host", e.Hostname})
	}
	if e.WazeroMode != "" {
		kv = append(kv, keyValue{"wazero engine", e.WazeroMode})
	}
	if len(e.Providers) > 0 {
		// The providers that ran (by the per-op tables); the others the
		// kernels file declares are counted, and listed in the JSON.
		ran := map[string]bool{}
		for _, p := range r.Profiles {
			for _, o := range p.Ops {
				ran[o.Provider] = true
			}
			for _, sub := range p.Substitutions {
				ran[sub.Ran] = true
			}
		}
		var ps []string
		others := 0
		for _, k := range slices.Sorted(maps.Keys(e.Providers)) {
			name := k[strings.LastIndexByte(k, '.')+1:]
			if len(ran) > 0 && !ran[name] && !ran[k] {
				others++
				continue
			}
			ps = append(ps, k+" "+e.Providers[k])
		}
		if others > 0 {
			ps = append(ps, fmt.Sprintf("(%d more declared, not run: the json report lists them)", others))
		}
		kv = append(kv, keyValue{"providers", strings.Join(ps, ", ")})
	}
	return append(kv, keyValue{"settings", settings(s, r.Profiles)})
}

// settings describes the run options in one sentence. When the profiles
// hold different numbers of runs (a partial report), it gives their range
// instead of Settings.Runs.
func settings(s bench.Settings, ps []bench.Profile) string {
	var b strings.Builder
	runs := plural(s.Runs, "run")
	if len(ps) > 0 {
		lo, hi := len(ps[0].GenTokPerSec), len(ps[0].GenTokPerSec)
		for _, p := range ps {
			lo, hi = min(lo, len(p.GenTokPerSec)), max(hi, len(p.GenTokPerSec))
		}
		if lo != hi {
			runs = fmt.Sprintf("%d–%d runs", lo, hi)
		}
	}
	fmt.Fprintf(&b, "%s per profile after %s, %d generated tokens after a %d-token prompt",
		runs, plural(s.Warmup, "warmup run"), s.GenTokens, s.PromptTokens)
	if s.Threads > 0 {
		b.WriteString(", " + plural(s.Threads, "thread"))
	}
	if s.Isolate {
		b.WriteString(", one process per run")
	}
	if s.UntilCI > 0 {
		fmt.Fprintf(&b, ", until the 95%% CI is within ±%s", percent(s.UntilCI))
		if s.MaxRuns > 0 {
			fmt.Fprintf(&b, " (at most %s)", plural(s.MaxRuns, "run"))
		}
	}
	return b.String()
}

// profileTable is one row of headline numbers per profile.
func profileTable(ps []bench.Profile) table {
	t := table{
		header: []string{"profile", "label", "runs", "pp tok/s", "pp 95% CI", "tg tok/s", "tg 95% CI", "TTFT median", "peak RSS"},
		align:  []align{left, left, right, right, right, right, right, right, right},
	}
	for _, p := range ps {
		ttft := notAvailable
		if m, ok := median(p.TTFTSeconds); ok {
			ttft = seconds(m)
		}
		rss := notAvailable
		if m, ok := peak(p.PeakRSSBytes); ok {
			rss = bytesIEC(m)
		}
		t.rows = append(t.rows, []string{
			p.Name, p.Label, fmt.Sprint(len(p.GenTokPerSec)),
			rateCell(p.Prompt.N, p.Prompt.Median), intervalCell(p.Prompt.N, p.Prompt.Lo, p.Prompt.Hi),
			rateCell(p.Gen.N, p.Gen.Median), intervalCell(p.Gen.N, p.Gen.Lo, p.Gen.Hi),
			ttft, rss,
		})
	}
	return t
}

// verdicts is each comparison's sentence; a comparison the statistics
// left without one gets a plain statement of its numbers.
func verdicts(cs []bench.Comparison) []string {
	var out []string
	for _, c := range cs {
		if c.Verdict != "" {
			out = append(out, oneLine(c.Verdict))
			continue
		}
		out = append(out, fmt.Sprintf("%s vs %s, %s: speedup %s× [%s, %s], p = %.2g",
			c.Subject, c.Baseline, metricName(c.Metric), ratio(c.Speedup), ratio(c.CILow), ratio(c.CIHigh), c.PValue))
	}
	return out
}

// correctness is one sentence per numerical comparison.
func correctness(cs []bench.Correctness) []string {
	var out []string
	for _, c := range cs {
		diff := fmt.Sprintf("max |Δlogit| %s, NMSE %s", sci(c.MaxAbsLogitDiff), sci(c.NMSE))
		switch {
		case c.Steps <= 0:
			out = append(out, fmt.Sprintf("%s was not compared with %s (no greedy steps)", c.Subject, c.Baseline))
		case c.FirstDivergence < 0:
			out = append(out, fmt.Sprintf("%s agrees with %s for all %d greedy steps; %s",
				c.Subject, c.Baseline, c.Steps, diff))
		default:
			out = append(out, fmt.Sprintf("%s diverges from %s at step %d of %d; %s",
				c.Subject, c.Baseline, c.FirstDivergence, c.Steps, diff))
		}
	}
	return out
}

// opBreakdown is the per-op table of one profile. Shares are of the
// instrumented token time, so the rows plus "unattributed" add up to 100%.
func opBreakdown(p bench.Profile) opSection {
	sec := opSection{title: p.Name + " (" + p.Label + ")"}
	if len(p.Command) > 0 {
		sec.note = "external command " + p.CommandLine() + ": only the tokens/s it prints are measured " +
			"(no prompt figure, time to first token, per-op times or peak RSS)"
		return sec
	}
	if len(p.Ops) == 0 {
		sec.note = "no per-op measurements"
		return sec
	}
	tokenSec, haveToken := instrumentedTokenSeconds(p)
	var sumCompute, sumBoundary float64
	for _, o := range p.Ops {
		sumCompute += o.ComputeSeconds
		sumBoundary += o.BoundarySeconds
	}
	if !haveToken || tokenSec < sumCompute+sumBoundary {
		// Without a generation median (or with ops that overran it) the
		// measured ops are the best estimate of the token.
		tokenSec = sumCompute + sumBoundary
	}
	share := func(s float64) string {
		if tokenSec <= 0 {
			return notAvailable
		}
		return percent(s / tokenSec)
	}

	t := table{
		header: []string{"op", "provider", "calls/token", "compute µs/token", "boundary µs/token", "% of token"},
		align:  []align{left, left, right, right, right, right},
	}
	for _, o := range sortedOps(p.Ops) {
		t.rows = append(t.rows, []string{
			o.Op, o.Provider, calls(o.Calls), micros(o.ComputeSeconds), micros(o.BoundarySeconds), share(opTotal(o)),
		})
	}
	t.footer = append(t.footer, []string{"all ops", "", "", micros(sumCompute), micros(sumBoundary), share(sumCompute + sumBoundary)})
	if rest := tokenSec - sumCompute - sumBoundary; rest > 0 {
		t.footer = append(t.footer, []string{"(unattributed)", "", "", micros(rest), "", share(rest)})
	}
	sec.table = t
	sec.note = fmt.Sprintf("Measured in a separate instrumented pass; instrumentation overhead %s "+
		"(uninstrumented ÷ instrumented tok/s − 1). %% of token is of that pass's %s per token.",
		signedPercent(p.InstrumentationOverhead), seconds(tokenSec))
	return sec
}

// orNA returns s, or n/a when it is empty.
func orNA(s string) string {
	if s == "" {
		return notAvailable
	}
	return s
}
