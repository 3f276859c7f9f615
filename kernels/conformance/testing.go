package conformance

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/raceflag"
)

// Test is the one-line conformance test of a provider: Run with the
// default cases, then Check. Under go test -short or -race it drops the
// Large cases (stories110M), which take most of the time and add size,
// not shapes.
func Test(t *testing.T, name string, f Factory) {
	t.Helper()
	Check(t, Run(name, f, Options{Short: testing.Short() || raceflag.Enabled}))
}

// Check reports results to t, one subtest per result named op/case: an
// error for a failure, a skip for a declined call, the NMSE logged for a
// pass; then a summary with the worst NMSE of each op.
func Check(t *testing.T, results []Result) {
	t.Helper()
	var passed, skipped, failed int
	worst := map[string]float64{}
	for _, r := range results {
		t.Run(string(r.Op)+"/"+r.Case, func(t *testing.T) {
			switch {
			case r.Failure != "":
				t.Error(r.Failure)
			case r.Skipped != "":
				t.Skip(r.Skipped)
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
			worst[string(r.Op)] = max(worst[string(r.Op)], r.NMSE)
		}
	}
	var parts []string
	for op, v := range worst {
		parts = append(parts, fmt.Sprintf("%s %.3g", op, v))
	}
	slices.Sort(parts)
	t.Logf("%d calls: %d passed, %d skipped, %d failed; worst NMSE: %s", len(results), passed, skipped, failed, strings.Join(parts, ", "))
}
