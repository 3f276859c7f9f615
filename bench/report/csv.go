package report

import (
	"encoding/csv"
	"io"
	"strconv"

	"github.com/retrollama/retrollama/bench"
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
func CSV(w io.Writer, r *bench.Report) error {
	if r == nil {
		return errNilReport
	}
	cw := csv.NewWriter(w)
	cw.Write([]string{"profile", "label", "run", "metric", "value"})
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
	// csv.Writer errors are sticky; Flush then Error reports the first.
	cw.Flush()
	return cw.Error()
}
