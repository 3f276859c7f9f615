package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"

	"github.com/retrollama/retrollama/internal/host/forward"
	"github.com/retrollama/retrollama/internal/host/kernelsfile"
	"github.com/retrollama/retrollama/internal/host/registry"
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
type verdict int

const (
	verdictSkip verdict = iota // nothing ran
	verdictPass                // at least one case ran, and every case that ran passed
	verdictFail                // a case failed, or the provider could not start
)

func (v verdict) String() string {
	return [...]string{"SKIP", "PASS", "FAIL"}[v]
}

// exit is the command's exit status for the overall verdict: 0 PASS, 1
// FAIL, 3 SKIP (distinct from a failure: nothing was tested).
func (v verdict) exit() error {
	switch v {
	case verdictPass:
		return nil
	case verdictFail:
		return exitCode(1)
	}
	return exitCode(3)
}

// providerCheck is one provider's tally.
type providerCheck struct {
	ref                     string
	verdict                 verdict
	passed, failed, skipped int
	why                     string // a provider that did not run, or ran nothing: why
}

// kernelsCheck runs the conformance suite, in mode, on one provider
// (--provider), on the providers of a profile (--profile), or on every
// declared provider, printing a table of what failed and what was
// declined (one line per op and reason unless verbose), a summary per
// provider, and the overall verdict on the last line.
func kernelsCheck(k *kernelFlags, only, modelPath, synthetic string, mode conformance.Mode, verbose bool, w, stderr io.Writer) (verdict, error) {
	f, err := k.loadFile()
	if err != nil {
		return verdictFail, err
	}
	var refs []string
	if only != "" {
		if err := declared(f, only); err != nil {
			return verdictFail, err
		}
		refs = []string{only}
	} else if k.profile == "" {
		for _, p := range f.Providers {
			refs = append(refs, p.Ref())
		}
	} else {
		r, diags := f.Resolve(k.profile)
		if diags.HasErrors() {
			return verdictFail, kernelsfile.DiagnosticsError(f, diags)
		}
		seen := map[string]bool{}
		for _, op := range kernels.AllOps() {
			for _, ref := range r.Routes[op].Use {
				if !seen[ref.Name] {
					seen[ref.Name] = true
					refs = append(refs, ref.Name)
				}
			}
		}
	}

	// Replayed calls reference the checkpoint's weights: keep it open
	// until every provider has been checked.
	ck, err := openShapes(modelPath, synthetic, "stories260K")
	if err != nil {
		return verdictFail, err
	}
	defer ck.Close()
	shape, calls, err := forward.Record(ck, replayPositions, 0)
	if err != nil {
		return verdictFail, err
	}
	bar := newBar(stderr, len(refs), "kernels check")
	var checks []providerCheck
	tab := table.New("PROVIDER", "OP", "CASE", "NMSE", "RESULT").AlignRight(3).Fit(termWidth(w))
	for i, ref := range refs {
		bar.describe(fmt.Sprintf("kernels check: %s (%d/%d)", ref, i+1, len(refs)))
		pc := checkProvider(f, ref, k.threads, mode, shape, calls, verbose, tab)
		checks = append(checks, pc)
		bar.add(1)
	}
	bar.finish()
	if tab.Len() > 0 {
		if err := tab.Render(w); err != nil {
			return verdictFail, err
		}
		fmt.Fprintln(w)
	}
	sum := table.New("PROVIDER", "VERDICT", "PASSED", "FAILED", "SKIPPED", "WHY").AlignRight(2, 3, 4).Fit(termWidth(w))
	overall, counts := verdictSkip, map[verdict]int{}
	for _, c := range checks {
		sum.Row(c.ref, c.verdict.String(), strconv.Itoa(c.passed), strconv.Itoa(c.failed), strconv.Itoa(c.skipped), c.why)
		counts[c.verdict]++
		switch {
		case c.verdict == verdictFail:
			overall = verdictFail
		case c.verdict == verdictPass && overall == verdictSkip:
			overall = verdictPass
		}
	}
	if err := sum.Render(w); err != nil {
		return verdictFail, err
	}
	// The verdict stays alone on the last line, for scripts.
	fmt.Fprintf(w, "\n%s\nproviders: %d passed, %d failed, %d skipped (nothing ran)\n%s\n",
		modeVerdict(mode), counts[verdictPass], counts[verdictFail], counts[verdictSkip], overall)
	return overall, nil
}

// checkProvider runs the suite on one provider, adding its failures and
// declines to tab, and returns its tally and verdict.
func checkProvider(f *kernelsfile.File, ref string, threads int, mode conformance.Mode, shape kernels.Shape, calls []conformance.Call, verbose bool, tab *table.T) providerCheck {
	pc := providerCheck{ref: ref}
	decl := f.Provider(ref)
	if err := registry.Usable(decl); err != nil {
		if errors.Is(err, fs.ErrNotExist) { // a path in kernels.hcl that is not there: a broken setup
			pc.verdict, pc.why = verdictFail, "cannot start: "+err.Error()
			return pc
		}
		pc.why = "cannot run here: " + err.Error() // another CPU's assembly: nothing to test here
		return pc
	}
	probe, err := registry.New(decl, registry.Options{Threads: threads})
	if err != nil {
		pc.verdict, pc.why = verdictFail, "cannot start: "+err.Error()
		return pc
	}
	_ = probe.Close() // a plugin's process ends here, not at exit
	factory := func() kernels.Provider {
		p, err := registry.New(decl, registry.Options{Threads: threads})
		if err != nil {
			panic(err) // it worked a moment ago; the suite reports panics as failures
		}
		return p
	}
	opts := conformance.Options{Mode: mode}
	results := conformance.Run(ref, factory, opts)
	results = append(results, conformance.Replay(ref, factory, shape, calls, opts)...)
	type declineKey struct {
		op     kernels.Op
		reason string
	}
	declined := map[declineKey]int{}
	var order []declineKey
	for _, r := range results {
		switch {
		case r.Failure != "":
			pc.failed++
			tab.Row(ref, string(r.Op), r.Case, fmt.Sprintf("%.3g", r.NMSE), "FAIL: "+r.Failure)
		case r.Skipped != "":
			pc.skipped++
			if verbose {
				tab.Row(ref, string(r.Op), r.Case, "-", "skipped: "+r.Skipped)
				continue
			}
			k := declineKey{r.Op, r.Skipped}
			if declined[k] == 0 {
				order = append(order, k)
			}
			declined[k]++
		default:
			pc.passed++
		}
	}
	for _, k := range order {
		tab.Row(ref, string(k.op), fmt.Sprintf("%d cases", declined[k]), "-", "skipped: "+k.reason)
	}
	switch {
	case pc.failed > 0:
		pc.verdict = verdictFail
	case pc.passed > 0:
		pc.verdict = verdictPass
	default:
		pc.why = fmt.Sprintf("declined all %d cases", pc.skipped)
	}
	return pc
}
