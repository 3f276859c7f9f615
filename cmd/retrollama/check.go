package main

import (
	"fmt"
	"io"
	"strconv"

	"github.com/retrollama/retrollama/internal/host/forward"
	"github.com/retrollama/retrollama/internal/host/providercheck"
	"github.com/retrollama/retrollama/internal/table"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/conformance"
)

// replayPositions is how many positions of a greedy run "kernels check"
// records for replay.
const replayPositions = 8

// checkMode is the conformance mode "kernels check" runs: exact (every
// output bit-identical to the scalar reference, what every shipped
// provider guarantees) unless --nmse opts out for a provider that
// reassociates its sums.
func checkMode(nmse bool) conformance.Mode {
	if nmse {
		return conformance.NMSE
	}
	return conformance.Exact
}

// modeVerdict is the line above the verdict saying what passing means
// in a mode.
func modeVerdict(m conformance.Mode) string {
	if m == conformance.NMSE {
		return "mode: nmse (every output within ggml's NMSE bound of the scalar reference's; --nmse)"
	}
	return "mode: exact (every output bit-identical to the scalar reference's; --nmse to relax)"
}

// verdict is the outcome of kernels check, for one provider or all.
type verdict = providercheck.Verdict

// verdictExit is the command's exit status for the overall verdict: 0 PASS, 1
// FAIL, 3 SKIP (distinct from a failure: nothing was tested).
func verdictExit(v verdict) error {
	switch v {
	case providercheck.Pass:
		return nil
	case providercheck.Fail:
		return exitCode(1)
	}
	return exitCode(3)
}

// kernelsCheck runs the conformance suite, in mode, on one provider
// (--provider), on the providers of a profile (--profile), or on every
// declared provider, printing a table of what failed and what was
// declined (one line per op and reason unless verbose), a summary per
// provider, and the overall verdict on the last line.
func kernelsCheck(k *kernelFlags, only, modelPath, synthetic string, mode conformance.Mode, verbose bool, w, stderr io.Writer) (verdict, error) {
	f, err := k.loadFile()
	if err != nil {
		return providercheck.Fail, err
	}
	var refs []string
	if only != "" {
		if err := declared(f, only); err != nil {
			return providercheck.Fail, err
		}
		refs = []string{only}
	} else if refs, err = providercheck.Refs(f, k.profile); err != nil {
		return providercheck.Fail, err
	}

	// Replayed calls reference the checkpoint's weights: keep it open
	// until every provider has been checked.
	ck, err := openShapes(modelPath, synthetic, "stories260K")
	if err != nil {
		return providercheck.Fail, err
	}
	defer ck.Close()
	shape, calls, err := forward.Record(ck, replayPositions, 0)
	if err != nil {
		return providercheck.Fail, err
	}
	opts := providercheck.Options{Mode: mode, Threads: k.threads, Shape: shape, Calls: calls}
	bar := newBar(stderr, len(refs), "kernels check")
	var reports []providercheck.Report
	tab := table.New("PROVIDER", "OP", "CASE", "NMSE", "RESULT").AlignRight(3).Fit(termWidth(w))
	for i, ref := range refs {
		bar.describe(fmt.Sprintf("kernels check: %s (%d/%d)", ref, i+1, len(refs)))
		r := providercheck.Provider(f, ref, opts)
		addResultRows(tab, r, verbose)
		reports = append(reports, r)
		bar.add(1)
	}
	bar.finish()
	if tab.Len() > 0 {
		if err := tab.Render(w); err != nil {
			return providercheck.Fail, err
		}
		fmt.Fprintln(w)
	}
	sum := table.New("PROVIDER", "VERDICT", "PASSED", "FAILED", "SKIPPED", "WHY").AlignRight(2, 3, 4).Fit(termWidth(w))
	for _, r := range reports {
		sum.Row(r.Ref, r.Verdict.String(), strconv.Itoa(r.Passed), strconv.Itoa(r.Failed), strconv.Itoa(r.Skipped), r.Why)
	}
	overall, counts := providercheck.Overall(reports)
	if err := sum.Render(w); err != nil {
		return providercheck.Fail, err
	}
	// The verdict stays alone on the last line, for scripts.
	fmt.Fprintf(w, "\n%s\nproviders: %d passed, %d failed, %d skipped (nothing ran)\n%s\n",
		modeVerdict(mode), counts[providercheck.Pass], counts[providercheck.Fail], counts[providercheck.Skip], overall)
	return overall, nil
}

// addResultRows adds one provider's failures and declines to tab: a row
// per failure, and a row per declined case if verbose, else one per op
// and reason with the count of cases, in the order first seen.
func addResultRows(tab *table.T, r providercheck.Report, verbose bool) {
	type declineKey struct {
		op     kernels.Op
		reason string
	}
	declined := map[declineKey]int{}
	var order []declineKey
	for _, res := range r.Results {
		switch {
		case res.Failure != "":
			tab.Row(r.Ref, string(res.Op), res.Case, fmt.Sprintf("%.3g", res.NMSE), "FAIL: "+res.Failure)
		case res.Skipped != "":
			if verbose {
				tab.Row(r.Ref, string(res.Op), res.Case, "-", "skipped: "+res.Skipped)
				continue
			}
			k := declineKey{res.Op, res.Skipped}
			if declined[k] == 0 {
				order = append(order, k)
			}
			declined[k]++
		}
	}
	for _, k := range order {
		tab.Row(r.Ref, string(k.op), fmt.Sprintf("%d cases", declined[k]), "-", "skipped: "+k.reason)
	}
}
