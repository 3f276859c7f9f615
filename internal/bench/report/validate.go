package report

import (
	"fmt"
	"strings"

	"github.com/retrollama/retrollama/internal/bench"
)

// validate reports every required field r lacks, in one error, and
// comparisons that name profiles the report does not hold. Required are
// what the outputs cannot do without: when and where it was measured,
// and for each profile a name, a label and generation samples (which a
// partial report's profile may lack: it was stopped before any run).
func validate(r *bench.Report) error {
	var missing, bad []string
	need := func(ok bool, field string) {
		if !ok {
			missing = append(missing, field)
		}
	}
	need(!r.Created.IsZero(), "created")
	need(r.Env.GOOS != "", "environment.goos")
	need(r.Env.GOARCH != "", "environment.goarch")
	need(r.Env.Model != "", "environment.model")
	need(len(r.Profiles) > 0, "profiles")
	names := map[string]bool{}
	for i, p := range r.Profiles {
		at := fmt.Sprintf("profiles[%d].", i)
		need(p.Name != "", at+"name")
		need(p.Label != "", at+"label")
		need(len(p.GenTokPerSec) > 0 || r.Partial, at+"tg_tok_per_sec")
		if names[p.Name] && p.Name != "" {
			bad = append(bad, fmt.Sprintf("profile name %q appears twice", p.Name))
		}
		names[p.Name] = true
	}
	// With profiles missing, every reference to them would fail too;
	// report the cause only.
	checkRefs := len(missing) == 0
	known := func(at, field, name string) {
		if name == "" {
			missing = append(missing, at+field)
		} else if checkRefs && !names[name] {
			bad = append(bad, fmt.Sprintf("%s%s %q is not a profile of this report", at, field, name))
		}
	}
	for i, c := range r.Comparisons {
		at := fmt.Sprintf("comparisons[%d].", i)
		known(at, "baseline", c.Baseline)
		known(at, "subject", c.Subject)
		need(c.Metric != "", at+"metric")
	}
	for i, c := range r.Correctness {
		at := fmt.Sprintf("correctness[%d].", i)
		known(at, "baseline", c.Baseline)
		known(at, "subject", c.Subject)
	}
	var msgs []string
	if len(missing) > 0 {
		msgs = append(msgs, "missing required fields: "+strings.Join(missing, ", "))
	}
	msgs = append(msgs, bad...)
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("report: invalid report: %s", strings.Join(msgs, "; "))
}
