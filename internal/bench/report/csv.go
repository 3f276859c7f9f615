package report

import (
	"encoding/csv"
	"io"
	"strconv"

	"github.com/retrollama/retrollama/internal/bench"
	"github.com/retrollama/retrollama/internal/bench/compare"
)

// CSV writes one row per raw sample, with a header row:
// profile,label,run,metric,value. run counts from 1 within each metric;
// metric is the sample's JSON field name (pp_tok_per_sec,
// tg_tok_per_sec, ttft_seconds, peak_rss_bytes); value is written at
// full precision. A process-wide peak RSS (runs without --isolate) is a
// single row with run 1. Then, per profile, the provider that ran each op
// (metric provider_of_OP, value the provider, run empty) and every
// substitution (metric substitution, value the sentence: an op that ran
// on another provider than the profile names).
//
// single row with run 1.
//
// A "bench compare" report (Between set) adds, after the samples, the
// two reports' compared fields, one row per field and side with profile
// "old" or "new", label "report", no run, the field's JSON path as
// metric and its value as text (in full); then one row per difference
// with profile "difference", its severity as label ("refuse",
// "refuse-forced" when compared anyway, "warn"), no run, the field as
// metric and the reason as value. Filter on label to keep the numbers.
// A partial report's second row (right under the header) is
// ",,,partial,PARTIAL REPORT: <why>", and each warning is a row
// ",,,warning,<text>" after it: rows with no profile, whose metric is
// not a measurement, so a reader filtering on metric skips them and a
// reader looking at the file sees them first.
func CSV(w io.Writer, r *bench.Report) error {
	if r == nil {
		return errNilReport
	}
	cw := csv.NewWriter(w)
	cw.Write([]string{"profile", "label", "run", "metric", "value"})
	if r.Partial {
		cw.Write([]string{"", "", "", "partial", partialMark(r)})
	}
	for _, s := range r.Warnings {
		cw.Write([]string{"", "", "", "warning", oneLine(s)})
	}
	for _, p := range r.Profiles {
		floats := func(metric string, xs []float64) {
			for i, x := range xs {
				cw.Write([]string{p.Name, p.Label, strconv.Itoa(i + 1), metric, strconv.FormatFloat(x, 'g', -1, 64)})
			}
		}
		floats("pp_tok_per_sec", p.PromptTokPerSec)
		floats("tg_tok_per_sec", p.GenTokPerSec)
		floats("ttft_seconds", p.TTFTSeconds)
		for i, b := range p.PeakRSSBytes {
			cw.Write([]string{p.Name, p.Label, strconv.Itoa(i + 1), "peak_rss_bytes", strconv.FormatInt(b, 10)})
		}
		for _, o := range p.Ops {
			cw.Write([]string{p.Name, p.Label, "", "provider_of_" + o.Op, o.Provider})
		}
		for i, s := range p.Substitutions {
			cw.Write([]string{p.Name, p.Label, strconv.Itoa(i + 1), "substitution", s.Line})
		}
	}
	if b := r.Between; b != nil {
		for _, row := range compare.Rows(b.Old, b.New) {
			cw.Write([]string{"old", "report", "", row.Field, row.Old})
			cw.Write([]string{"new", "report", "", row.Field, row.New})
		}
		for _, d := range b.Differences {
			severity := string(d.Severity)
			if d.Severity == bench.Refuse && b.Forced {
				severity += "-forced"
			}
			cw.Write([]string{"difference", severity, "", d.Field, d.Reason})
		}
	}
	// csv.Writer errors are sticky; Flush then Error reports the first.
	cw.Flush()
	return cw.Error()
}
