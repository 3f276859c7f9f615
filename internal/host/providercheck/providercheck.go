// Package providercheck is the logic of "retrollama kernels check": it
// builds each provider declared in a kernels file through the registry,
// runs the public conformance suite and a replay of recorded forward-pass
// calls on it, and tallies what passed, failed and was declined into a
// verdict. It returns structured results so that the command only parses
// flags and prints, and so that the tally is testable without the CLI.
package providercheck

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/retrollama/retrollama/internal/host/kernelsfile"
	"github.com/retrollama/retrollama/internal/host/registry"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/conformance"
)

// Verdict is the outcome of a check, for one provider or all.
type Verdict int

const (
	// Skip: nothing ran (the provider cannot run here, or declined every case).
	Skip Verdict = iota
	// Pass: at least one case ran, and every case that ran passed.
	Pass
	// Fail: a case failed, or the provider could not start.
	Fail
)

// String is the verdict as the command prints it: SKIP, PASS or FAIL.
func (v Verdict) String() string {
	return [...]string{"SKIP", "PASS", "FAIL"}[v]
}

// Report is one provider's outcome: every result the suite produced, the
// counts of each kind, the verdict, and why nothing ran when it did not.
type Report struct {
	Ref                     string               // the provider's name in the kernels file
	Results                 []conformance.Result // the suite's then the replay's results, in order
	Verdict                 Verdict              // the provider's verdict
	Passed, Failed, Skipped int                  // results that passed, failed, were declined
	Why                     string               // a provider that did not run, or ran nothing: why
}

// Options are what a check needs besides the provider: the conformance
// mode, the threads a provider is built with, and the recorded forward
// pass (its shape and calls) to replay.
type Options struct {
	Mode    conformance.Mode
	Threads int
	Shape   kernels.Shape
	Calls   []conformance.Call
	// Cases are the shapes the suite runs; nil means the suite's
	// defaults (tests pass a few small ones to stay fast).
	Cases []conformance.Case
}

// Refs returns the providers a check covers: every declared provider when
// profile is empty, otherwise those the profile routes any op to, in op
// order, each once.
func Refs(f *kernelsfile.File, profile string) ([]string, error) {
	var refs []string
	if profile == "" {
		for _, p := range f.Providers {
			refs = append(refs, p.Ref())
		}
		return refs, nil
	}
	r, diags := f.Resolve(profile)
	if diags.HasErrors() {
		return nil, kernelsfile.DiagnosticsError(f, diags)
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
	return refs, nil
}

// Provider checks the provider declared as ref in f: a provider that
// cannot run on this machine is skipped, one that cannot start fails,
// and any other is run through the suite and the replay and tallied.
func Provider(f *kernelsfile.File, ref string, opts Options) Report {
	decl := f.Provider(ref)
	if err := registry.Usable(decl); err != nil {
		if errors.Is(err, fs.ErrNotExist) { // a path in kernels.hcl that is not there: a broken setup
			return Report{Ref: ref, Verdict: Fail, Why: "cannot start: " + err.Error()}
		}
		return Report{Ref: ref, Why: "cannot run here: " + err.Error()} // another CPU's assembly: nothing to test here
	}
	probe, err := registry.New(decl, registry.Options{Threads: opts.Threads})
	if err != nil {
		return Report{Ref: ref, Verdict: Fail, Why: "cannot start: " + err.Error()}
	}
	_ = probe.Close() // a plugin's process ends here, not at exit
	factory := func() kernels.Provider {
		p, err := registry.New(decl, registry.Options{Threads: opts.Threads})
		if err != nil {
			panic(err) // it worked a moment ago; the suite reports panics as failures
		}
		return p
	}
	return Check(ref, factory, opts)
}

// Check runs the conformance suite and the replay of opts' recorded
// calls on the providers factory makes, and tallies the results.
func Check(ref string, factory conformance.Factory, opts Options) Report {
	copts := conformance.Options{Mode: opts.Mode, Cases: opts.Cases}
	results := conformance.Run(ref, factory, copts)
	results = append(results, conformance.Replay(ref, factory, opts.Shape, opts.Calls, copts)...)
	return Tally(ref, results)
}

// Tally counts results into a report: any failure fails the provider,
// otherwise any pass passes it, otherwise it declined everything and is
// skipped.
func Tally(ref string, results []conformance.Result) Report {
	r := Report{Ref: ref, Results: results}
	for _, res := range results {
		switch {
		case res.Failure != "":
			r.Failed++
		case res.Skipped != "":
			r.Skipped++
		default:
			r.Passed++
		}
	}
	switch {
	case r.Failed > 0:
		r.Verdict = Fail
	case r.Passed > 0:
		r.Verdict = Pass
	default:
		r.Why = fmt.Sprintf("declined all %d cases", r.Skipped)
	}
	return r
}

// Overall is the verdict over all reports (any FAIL fails, else any PASS
// passes, else SKIP) and how many providers had each verdict.
func Overall(reports []Report) (Verdict, map[Verdict]int) {
	overall, counts := Skip, map[Verdict]int{}
	for _, r := range reports {
		counts[r.Verdict]++
		switch {
		case r.Verdict == Fail:
			overall = Fail
		case r.Verdict == Pass && overall == Skip:
			overall = Pass
		}
	}
	return overall, counts
}
