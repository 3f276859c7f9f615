package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/retrollama/retrollama/host/config"
	"github.com/retrollama/retrollama/host/registry"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/conformance"
	"github.com/retrollama/retrollama/kernels/conformance/forward"
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

// kernelsCheck runs the conformance suite, in mode, on one provider
// (--provider), on the providers of a profile (--profile), or on every
// declared provider, and reports whether anything failed.
func kernelsCheck(k *kernelFlags, only, modelPath, synthetic string, mode conformance.Mode, w, stderr io.Writer) (failed bool, err error) {
	f, profile, err := k.load()
	if err != nil {
		return false, err
	}
	var refs []string
	if only != "" {
		if f.Provider(only) == nil {
			return false, fmt.Errorf("%s declares no provider %s", f.Path, only)
		}
		refs = []string{only}
	} else if k.profile == "" {
		for _, p := range f.Providers {
			refs = append(refs, p.Ref())
		}
	} else {
		r, diags := f.Resolve(profile)
		if diags.HasErrors() {
			return false, config.DiagnosticsError(f, diags)
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
		return false, err
	}
	defer ck.Close()
	shape, calls, err := forward.Record(ck, replayPositions, 0)
	if err != nil {
		return false, err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "PROVIDER\tOP\tCASE\tNMSE\tRESULT\n")
	for _, ref := range refs {
		decl := f.Provider(ref)
		if err := registry.Usable(decl); err != nil {
			fmt.Fprintf(tw, "%s\t-\t-\t-\tskipped: %v\n", ref, err)
			continue
		}
		probe, err := registry.New(decl, registry.Options{Threads: k.threads})
		if err != nil {
			return false, fmt.Errorf("provider %s: %w", ref, err)
		}
		_ = probe.Close() // a plugin's process ends here, not at exit
		factory := func() kernels.Provider {
			p, err := registry.New(decl, registry.Options{Threads: k.threads})
			if err != nil {
				panic(err) // it worked a moment ago; the suite reports panics as failures
			}
			return p
		}
		opts := conformance.Options{Mode: mode}
		results := conformance.Run(ref, factory, opts)
		results = append(results, conformance.Replay(ref, factory, shape, calls, opts)...)
		passed := 0
		for _, r := range results {
			switch {
			case r.Failure != "":
				failed = true
				fmt.Fprintf(tw, "%s\t%s\t%s\t%.3g\tFAIL: %s\n", ref, r.Op, r.Case, r.NMSE, r.Failure)
			case r.Skipped != "":
				fmt.Fprintf(tw, "%s\t%s\t%s\t-\tskipped: %s\n", ref, r.Op, r.Case, r.Skipped)
			default:
				passed++
			}
		}
		fmt.Fprintf(tw, "%s\tall\t%d cases\t\t%d passed (%s)\n", ref, len(results), passed, mode)
	}
	if err := tw.Flush(); err != nil {
		return failed, err
	}
	// The verdict stays alone on the last line, for scripts.
	fmt.Fprintf(w, "\n%s\n", modeVerdict(mode))
	if failed {
		fmt.Fprintln(w, "FAIL")
	} else {
		fmt.Fprintln(w, "PASS")
	}
	return failed, nil
}
