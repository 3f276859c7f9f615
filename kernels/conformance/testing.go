package conformance

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/raceflag"
)

// Test is the one-line conformance test of a provider: Run with the
// default cases in exact mode (every output bit-identical to the
// reference's), then Check. Under go test -short or -race it drops the
// Large cases (stories110M), which take most of the time and add size,
// not shapes. Every shipped provider is tested this way.
func Test(t *testing.T, name string, f Factory) {
	t.Helper()
	TestMode(t, name, f, Exact)
}

// TestMode is Test with another comparison mode: a third-party provider
// that reassociates its sums opts out of exact mode with
//
//	conformance.TestMode(t, "mine", factory, conformance.NMSE)
//
// and is held to ggml's NMSE bound instead (see the package comment).
func TestMode(t *testing.T, name string, f Factory, mode Mode) {
	t.Helper()
	Check(t, Run(name, f, Options{Short: testing.Short() || raceflag.Enabled, Mode: mode}))
}

// Check reports results to t, one subtest per result named op/case: an
// error for a failure, a skip for a declined call, a log line for a pass
// (in NMSE mode with its NMSE); then a summary naming the mode, with the
// worst NMSE of each op in NMSE mode.
func Check(t *testing.T, results []Result) {
	t.Helper()
	var passed, skipped, failed int
	worst := map[string]float64{}
	modes := map[Mode]bool{}
	for _, r := range results {
		modes[r.Mode] = true
		t.Run(string(r.Op)+"/"+r.Case, func(t *testing.T) {
			switch {
			case r.Failure != "":
				t.Error(r.Failure)
			case r.Skipped != "":
				t.Skip(r.Skipped)
			case r.Mode == Exact:
				t.Log("bit-identical to the reference")
			default:
				t.Logf("NMSE %.3g, max |diff| %.3g", r.NMSE, r.MaxAbsDiff)
			}
		})
		switch {
		case r.Failure != "":
			failed++
		case r.Skipped != "":
			skipped++
		default:
			passed++
			if r.Mode == NMSE {
				worst[string(r.Op)] = max(worst[string(r.Op)], r.NMSE)
			}
		}
	}
	var names []string
	for m := range modes {
		names = append(names, m.String())
	}
	slices.Sort(names)
	summary := fmt.Sprintf("%s mode: %d calls: %d passed, %d skipped, %d failed", strings.Join(names, "+"), len(results), passed, skipped, failed)
	if len(worst) > 0 {
		var parts []string
		for op, v := range worst {
			parts = append(parts, fmt.Sprintf("%s %.3g", op, v))
		}
		slices.Sort(parts)
		summary += "; worst NMSE: " + strings.Join(parts, ", ")
	} else if modes[Exact] && passed > 0 {
		summary += "; every pass bit-identical to the reference"
	}
	t.Log(summary)
}
