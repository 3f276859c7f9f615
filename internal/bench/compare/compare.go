// Package compare decides whether two saved bench reports can be
// compared at all, before "bench compare" puts their numbers side by
// side: a stories260K run at -n 8 against a stories15M run at -n 256
// yields a confident verdict about nothing.
//
// Every field that bears on comparability has a severity. Refuse: the
// comparison is meaningless (another model, schema, sequence length,
// thread count or baseline profile); Between fails with a *RefusedError
// unless forced. Warn: legitimate but must be said next to the verdicts
// (another machine, CPU, Go version, kernels.hcl, provider versions,
// warm-up, isolation, run count, --until-ci). Some fields (when, model
// path) are shown side by side for information only.
package compare

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/retrollama/retrollama/internal/bench"
	"github.com/retrollama/retrollama/internal/table"
)

// Row is one field of two reports side by side.
type Row struct {
	Field    string         // JSON path in the report, as in bench.Difference
	Old, New string         // the values as text, in full; "" when absent
	Severity bench.Severity // of a difference in this field; "" for a field shown for information only
	Reason   string         // why a difference matters; "" for information only
	Differs  bool           // the values differ (and Severity, if any, applies)
}

// rule is one compared field: how to read it and what a difference means.
type rule struct {
	field    string
	severity bench.Severity
	reason   string
	value    func(h *bench.ReportHead) string
	// differs, when set, replaces string inequality of the values.
	differs func(old, new *bench.ReportHead) bool
}

// Reasons shared by several rules.
const (
	reasonMachine  = "another machine"
	reasonSequence = "tokens/s depends on sequence length"
	reasonRuns     = "runs taken differently"
)

// rules lists the fixed fields in the order they are shown: what was
// measured, how (settings, profiles), then where (environment).
var rules = []rule{
	{field: "schema", severity: bench.Refuse, reason: "another JSON layout",
		value: func(h *bench.ReportHead) string { return strconv.Itoa(h.Schema) }},
	{field: "created", value: func(h *bench.ReportHead) string {
		if h.Created.IsZero() {
			return ""
		}
		return h.Created.UTC().Format(time.DateTime + " MST")
	}},
	{field: "environment.model", value: func(h *bench.ReportHead) string { return h.Env.Model }},
	{field: "environment.model_sha256", severity: bench.Refuse, reason: "another model: other work per token",
		value: func(h *bench.ReportHead) string { return h.Env.ModelHash }},
	{field: "settings.gen_tokens", severity: bench.Refuse, reason: reasonSequence,
		value: func(h *bench.ReportHead) string { return strconv.Itoa(h.Settings.GenTokens) }},
	{field: "settings.prompt_tokens", severity: bench.Refuse, reason: reasonSequence,
		value: func(h *bench.ReportHead) string { return strconv.Itoa(h.Settings.PromptTokens) }},
	{field: "settings.threads", severity: bench.Refuse, reason: "threads change tokens/s by design",
		value: func(h *bench.ReportHead) string { return strconv.Itoa(h.Settings.Threads) }},
	{field: "settings.runs", severity: bench.Warn, reason: reasonRuns,
		value: func(h *bench.ReportHead) string { return strconv.Itoa(h.Settings.Runs) }},
	{field: "settings.warmup", severity: bench.Warn, reason: reasonRuns,
		value: func(h *bench.ReportHead) string { return strconv.Itoa(h.Settings.Warmup) }},
	{field: "settings.isolate", severity: bench.Warn, reason: reasonRuns,
		value: func(h *bench.ReportHead) string { return strconv.FormatBool(h.Settings.Isolate) }},
	{field: "settings.until_ci", severity: bench.Warn, reason: reasonRuns,
		value: func(h *bench.ReportHead) string {
			if h.Settings.UntilCI == 0 {
				return "off"
			}
			return strconv.FormatFloat(h.Settings.UntilCI*100, 'g', -1, 64) + "%"
		}},
	{field: "settings.max_runs", severity: bench.Warn, reason: reasonRuns,
		value: func(h *bench.ReportHead) string { return strconv.Itoa(h.Settings.MaxRuns) }}, {field: "profiles[0].name", severity: bench.Refuse, reason: "measured against another baseline",
		value: func(h *bench.ReportHead) string {
			if len(h.Profiles) == 0 {
				return ""
			}
			return h.Profiles[0].Name
		}},
	{field: "profiles", severity: bench.Warn, reason: "some profiles are in one report only",
		value: func(h *bench.ReportHead) string { return strings.Join(profileNames(h), ", ") },
		differs: func(old, new *bench.ReportHead) bool {
			a, b := profileNames(old), profileNames(new)
			slices.Sort(a)
			slices.Sort(b)
			return !slices.Equal(a, b)
		}},
	{field: "environment.goos", severity: bench.Warn, reason: reasonMachine,
		value: func(h *bench.ReportHead) string { return h.Env.GOOS }},
	{field: "environment.goarch", severity: bench.Warn, reason: reasonMachine,
		value: func(h *bench.ReportHead) string { return h.Env.GOARCH }},
	{field: "environment.go386", severity: bench.Warn, reason: "other floating-point code",
		value: func(h *bench.ReportHead) string { return h.Env.GO386 }},
	{field: "environment.cpu", severity: bench.Warn, reason: reasonMachine,
		value: func(h *bench.ReportHead) string { return h.Env.CPU }},
	{field: "environment.cpu_features", severity: bench.Warn, reason: "providers may take other paths",
		value: func(h *bench.ReportHead) string { return strings.Join(h.Env.CPUFeatures, " ") }},
	{field: "environment.num_cpu", severity: bench.Warn, reason: reasonMachine,
		value: func(h *bench.ReportHead) string { return strconv.Itoa(h.Env.NumCPU) }},
	{field: "environment.hostname", severity: bench.Warn, reason: reasonMachine,
		value: func(h *bench.ReportHead) string { return h.Env.Hostname }},
	{field: "environment.go_version", severity: bench.Warn, reason: "another compiler and runtime",
		value: func(h *bench.ReportHead) string { return h.Env.GoVersion }},
	{field: "environment.kernels_hcl_sha256", severity: bench.Warn, reason: "ops may map to other providers",
		value: func(h *bench.ReportHead) string { return h.Env.KernelsHash }},
	{field: "environment.wazero_engine", severity: bench.Warn, reason: "WASM ran on another engine",
		value: func(h *bench.ReportHead) string { return h.Env.WazeroMode }},
}

func profileNames(h *bench.ReportHead) []string {
	names := make([]string, len(h.Profiles))
	for i, p := range h.Profiles {
		names[i] = p.Name
	}
	return names
}

// Rows returns every compared field of old and new side by side: the
// fixed fields, then one row per provider either report names
// (environment.providers.LABEL) and one per external command either
// report ran (profiles.NAME.command), each group sorted by name.
func Rows(old, new bench.ReportHead) []Row {
	var out []Row
	for _, r := range rules {
		row := Row{Field: r.field, Old: r.value(&old), New: r.value(&new), Severity: r.severity, Reason: r.reason}
		if r.differs != nil {
			row.Differs = r.differs(&old, &new)
		} else {
			row.Differs = row.Old != row.New
		}
		out = append(out, row)
	}
	providers := slices.Sorted(maps.Keys(old.Env.Providers))
	for _, k := range slices.Sorted(maps.Keys(new.Env.Providers)) {
		if _, ok := old.Env.Providers[k]; !ok {
			providers = append(providers, k)
		}
	}
	slices.Sort(providers)
	for _, k := range providers {
		o, n := old.Env.Providers[k], new.Env.Providers[k]
		out = append(out, Row{Field: "environment.providers." + k, Old: o, New: n, Differs: o != n,
			Severity: bench.Warn, Reason: "another provider version"})
	}
	// A command of a profile that only one report has is shown but is no
	// difference of its own: the "profiles" row already says so.
	type command struct {
		argv [2]string
		in   [2]bool
	}
	commands := map[string]command{}
	for i, h := range []bench.ReportHead{old, new} {
		for _, p := range h.Profiles {
			c := commands[p.Name]
			c.argv[i], c.in[i] = bench.QuoteArgs(p.Command), true
			commands[p.Name] = c
		}
	}
	for _, name := range slices.Sorted(maps.Keys(commands)) {
		c := commands[name]
		if c.argv[0] == "" && c.argv[1] == "" {
			continue // a kernels profile
		}
		out = append(out, Row{Field: "profiles." + name + ".command", Old: c.argv[0], New: c.argv[1],
			Differs:  c.in[0] && c.in[1] && c.argv[0] != c.argv[1],
			Severity: bench.Warn, Reason: "command ran with other arguments"})
	}
	return out
}

// Check returns every difference between old and new that bears on
// comparing their measurements: refused ones first, then warnings, each
// group in the order of Rows. An empty result means comparable as is.
// Nil reports are treated as empty ones.
func Check(old, new *bench.Report) []bench.Difference {
	var o, n bench.ReportHead
	if old != nil {
		o = old.Head()
	}
	if new != nil {
		n = new.Head()
	}
	return differences(Rows(o, n))
}

// differences is the rows of rs that differ and have a severity, as
// Differences, refused first.
func differences(rs []Row) []bench.Difference {
	var out []bench.Difference
	for _, sev := range []bench.Severity{bench.Refuse, bench.Warn} {
		for _, r := range rs {
			if r.Differs && r.Severity == sev {
				out = append(out, bench.Difference{Field: r.Field, Old: r.Old, New: r.New, Severity: r.Severity, Reason: r.Reason})
			}
		}
	}
	return out
}

// Refused returns the differences of severity bench.Refuse among ds.
func Refused(ds []bench.Difference) []bench.Difference {
	var out []bench.Difference
	for _, d := range ds {
		if d.Severity == bench.Refuse {
			out = append(out, d)
		}
	}
	return out
}

// Options are the choices of a comparison.
type Options struct {
	// Force compares reports despite differences of severity Refuse
	// ("bench compare --force"); the result is marked Forced and every
	// output lists the refused differences.
	Force bool
}

// Between checks old and new and returns what a compare report records
// about them (bench.Report.Between). With a refused difference and
// without opt.Force it returns a *RefusedError holding every difference
// instead.
func Between(old, new *bench.Report, opt Options) (*bench.Between, error) {
	if old == nil || new == nil {
		return nil, fmt.Errorf("compare: nil *bench.Report")
	}
	ds := Check(old, new)
	refused := len(Refused(ds)) > 0
	if refused && !opt.Force {
		return nil, &RefusedError{Differences: ds}
	}
	return &bench.Between{Old: old.Head(), New: new.Head(), Differences: ds, Forced: refused}, nil
}

// RefusedError is the failure of a comparison that differences of
// severity bench.Refuse make meaningless. Its message lists every
// difference (refused first) as a table that fits 120 columns, for the
// command to print on stderr.
type RefusedError struct {
	Differences []bench.Difference
}

// Error implements error.
func (e *RefusedError) Error() string {
	n := len(Refused(e.Differences))
	return fmt.Sprintf("the two reports are not comparable (%s; bench compare --force compares them anyway):\n%s",
		plural(n, "refused difference"), DifferenceTable(e.Differences, false, table.DefaultWidth).String())
}

// DifferenceTable lays ds out as a text table of severity, field, both
// values ("old → new") and reason, fitted to width columns (long values
// wrap first: they are the widest cells). forced labels refused
// differences as overridden.
func DifferenceTable(ds []bench.Difference, forced bool, width int) *table.T {
	t := table.New("severity", "field", "old → new", "why").Fit(width)
	for _, d := range ds {
		t.Row(SeverityLabel(d.Severity, forced), d.Field, Change(d), d.Reason)
	}
	return t
}

// Change is a difference's two values for people: "256 → 8", each
// through Display.
func Change(d bench.Difference) string {
	return Display(d.Old) + " → " + Display(d.New)
}

// SeverityLabel is how outputs name a severity: "REFUSE" (upper case, to
// be seen), "REFUSED, FORCED" when the comparison was forced, "warn".
func SeverityLabel(s bench.Severity, forced bool) string {
	switch s {
	case bench.Refuse:
		if forced {
			return "REFUSED, FORCED"
		}
		return "REFUSE"
	case bench.Warn:
		return "warn"
	}
	return string(s)
}

// Display formats a compared value for people: "n/a" when absent, a hex
// digest longer than 16 characters cut to its first 12 and "…" (saved
// JSON keeps values whole).
func Display(v string) string {
	if v == "" {
		return "n/a"
	}
	if len(v) > 16 && strings.Trim(strings.ToLower(v), "0123456789abcdef") == "" {
		return v[:12] + "…"
	}
	return v
}

// Summary is one sentence on ds: whether the reports are comparable, and
// how many differences of each severity there are.
func Summary(ds []bench.Difference, forced bool) string {
	refused := len(Refused(ds))
	warned := len(ds) - refused
	switch {
	case len(ds) == 0:
		return "comparable: no difference in model, settings or environment"
	case refused > 0 && forced:
		return fmt.Sprintf("NOT COMPARABLE, compared anyway (forced): %s, %s",
			plural(refused, "refused difference"), plural(warned, "warning"))
	case refused > 0:
		return fmt.Sprintf("NOT COMPARABLE: %s, %s", plural(refused, "refused difference"), plural(warned, "warning"))
	}
	return "comparable, with " + plural(warned, "warning")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
