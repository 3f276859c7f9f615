// Package bench is A/B benchmarking of kernel profiles: it measures
// profiles interleaved on the same token sequence, compares them with
// distribution-free statistics, checks that they agree numerically, and
// renders reports. This file holds the data model every part shares
// (runner, statistics, report formats); it is also the JSON schema of
// saved results, which "bench compare" reads back.
package bench

import (
	"strconv"
	"strings"
	"time"
)

// SchemaVersion identifies the JSON layout of Report.
const SchemaVersion = 1

// Report is everything one "retrollama bench" invocation measured.
type Report struct {
	Schema      int           `json:"schema"`
	Created     time.Time     `json:"created"`
	Env         Environment   `json:"environment"`
	Settings    Settings      `json:"settings"`
	Profiles    []Profile     `json:"profiles"`    // in the order given (A, B, C, ...)
	Comparisons []Comparison  `json:"comparisons"` // each later profile against the first
	Correctness []Correctness `json:"correctness"` // each later profile against the first
	// Between is set only on the report "bench compare" writes: both
	// saved reports' environments and settings, and how they differ
	// (see package internal/bench/compare). Absent from a report "bench" writes.
	Between *Between `json:"between,omitempty"`
	// Partial is true when the bench stopped before it finished (Ctrl-C:
	// the runner's context was cancelled): the profiles hold only the runs
	// that finished, the statistics are computed on those, and passes that
	// did not run (correctness, per-op breakdown) are absent. Every output
	// format marks such a report, so a partial result is never mistaken
	// for a complete one. Absent from the JSON of a complete report.
	Partial bool `json:"partial,omitempty"`
	// PartialReason says why and where the bench stopped and what it
	// skipped, e.g. "interrupted (interrupt signal received) in measured
	// round 4 of 10; the correctness check and the per-op breakdown were
	// skipped"; set when Partial is.
	PartialReason string `json:"partial_reason,omitempty"`
	// Warnings are things a reader must know to trust the numbers, each one
	// sentence: an --until-ci target not reached within --max-runs, a
	// comparison left out for lack of runs. Every output format shows them.
	Warnings []string `json:"warnings,omitempty"`
}

// Environment records where the numbers were taken, so saved results can
// be compared across machines honestly.
type Environment struct {
	GOOS        string            `json:"goos"`
	GOARCH      string            `json:"goarch"`
	GO386       string            `json:"go386,omitempty"`
	GoVersion   string            `json:"go_version"`
	CPU         string            `json:"cpu"`
	CPUFeatures []string          `json:"cpu_features"`
	NumCPU      int               `json:"num_cpu"`
	Hostname    string            `json:"hostname,omitempty"`
	KernelsHash string            `json:"kernels_hcl_sha256"` // of the kernels.hcl bytes used
	ModelHash   string            `json:"model_sha256"`       // of the checkpoint file, or of the synthetic name
	Model       string            `json:"model"`              // path or synthetic:<name>
	Providers   map[string]string `json:"providers"`          // label → version/hash string
	WazeroMode  string            `json:"wazero_engine,omitempty"`
}

// Settings are the options of the run.
type Settings struct {
	GenTokens    int     `json:"gen_tokens"`    // -n: tokens generated per run
	PromptTokens int     `json:"prompt_tokens"` // --prompt-tokens
	Runs         int     `json:"runs"`          // measured runs per profile as made (after --until-ci or an interruption, the final count; the fewest of any profile)
	Warmup       int     `json:"warmup"`
	Threads      int     `json:"threads"`
	Isolate      bool    `json:"isolate"`
	UntilCI      float64 `json:"until_ci,omitempty"` // target CI half-width as a fraction (0.02 = 2%)
	MaxRuns      int     `json:"max_runs,omitempty"`
}

// Profile is one profile's measurements.
type Profile struct {
	Name  string `json:"name"`  // profile name as given; "cmd:NAME" for an external command
	Label string `json:"label"` // "A", "B", ...
	// Command is an external command's argv as run (placeholders filled),
	// and CommandRegex what read its tokens per second from its output;
	// both empty for a kernels profile. A command has GenTokPerSec only:
	// no prompt figure, TTFT, Ops or peak RSS (a child's ru_maxrss on
	// Linux includes bench's own resident set).
	Command      []string `json:"command,omitempty"`
	CommandRegex string   `json:"command_regex,omitempty"`
	// Raw per-run samples, one entry per measured run, in run order.
	PromptTokPerSec []float64 `json:"pp_tok_per_sec"` // prompt processing tokens/s
	GenTokPerSec    []float64 `json:"tg_tok_per_sec"` // generation tokens/s
	TTFTSeconds     []float64 `json:"ttft_seconds"`   // time to first generated token
	PeakRSSBytes    []int64   `json:"peak_rss_bytes"` // per run with --isolate; one process-wide value otherwise
	// Summaries of GenTokPerSec and PromptTokPerSec (filled by the statistics).
	Gen    Summary `json:"tg"`
	Prompt Summary `json:"pp"`
	// Ops is the per-token time per op and provider from a separate
	// instrumented pass (so timing overhead never touches the samples above).
	Ops []OpTime `json:"ops"`
	// InstrumentationOverhead is (uninstrumented tok/s / instrumented tok/s) - 1
	// measured for this profile; reported so readers can judge Ops.
	InstrumentationOverhead float64 `json:"instrumentation_overhead"`
	// Substitutions are the ops that did not run on the provider the
	// profile names (bench --fallback, or on_error = "fallback"): what
	// ran instead and why. Empty when the profile ran as named; every
	// format says so when it is not.
	Substitutions []Substitution `json:"substitutions,omitempty"`
}

// Substitution is an op of a profile that ran on another provider than
// the profile names, for some or all of its uses.
type Substitution struct {
	Op    string `json:"op"`
	DType string `json:"dtype,omitempty"`
	Ran   string `json:"ran"` // the provider that ran it
	Why   string `json:"why"` // the provider passed over, and its reason
	Uses  int    `json:"uses"`
	Of    int    `json:"of"`   // the op's uses in the model
	Line  string `json:"line"` // the whole sentence, as run prints it
}

// RanAsNamed reports whether every op of the profile ran on the provider
// the profile names.
func (p *Profile) RanAsNamed() bool { return len(p.Substitutions) == 0 }

// SubstitutionNote is one sentence for a headline verdict, "" when p ran
// as named: "fast did not run as named: matmul q8_0 ran on ...".
func (p *Profile) SubstitutionNote() string {
	if p.RanAsNamed() {
		return ""
	}
	// One clause per provider that ran and reason, listing its ops.
	type key struct{ ran, why string }
	ops := map[key][]string{}
	var order []key
	for _, s := range p.Substitutions {
		k := key{s.Ran, s.Why}
		if ops[k] == nil {
			order = append(order, k)
		}
		what := strings.TrimSpace(s.Op + " " + s.DType)
		if s.Uses < s.Of {
			what += " (" + strconv.Itoa(s.Uses) + " of " + strconv.Itoa(s.Of) + " uses)"
		}
		ops[k] = append(ops[k], what)
	}
	clauses := make([]string, len(order))
	for i, k := range order {
		clauses[i] = strings.Join(ops[k], ", ") + " ran on " + k.ran + " (" + k.why + ")"
	}
	return p.Name + " did not run as named: " + strings.Join(clauses, "; ")
}

// CommandLine is the profile's Command as one line a POSIX shell would
// split back into the same argv (see QuoteArgs); "" for a kernels profile.
func (p *Profile) CommandLine() string { return QuoteArgs(p.Command) }

// QuoteArgs joins argv into one line that a POSIX shell splits back into
// argv: words of safe characters as they are, others single-quoted, so a
// report shows exactly what an external command was given.
func QuoteArgs(argv []string) string {
	const safe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:=@%+,"
	words := make([]string, len(argv))
	for i, w := range argv {
		if w != "" && strings.Trim(w, safe) == "" {
			words[i] = w
		} else {
			words[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
	}
	return strings.Join(words, " ")
}

// Summary is a distribution-free summary of samples.
type Summary struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	Lo     float64 `json:"ci_low"`  // 95% confidence interval of the median
	Hi     float64 `json:"ci_high"` //
}

// OpTime is the time per generated token spent in one op on one provider.
type OpTime struct {
	Op              string  `json:"op"`
	Provider        string  `json:"provider"`
	Calls           float64 `json:"calls_per_token"`
	ComputeSeconds  float64 `json:"compute_seconds_per_token"`
	BoundarySeconds float64 `json:"boundary_seconds_per_token"` // copies into WASM memory, plugin round trips; 0 for in-process providers
}

// Comparison is B (or C, ...) against A on generation tokens/s.
type Comparison struct {
	Baseline    string       `json:"baseline"` // profile name of A
	Subject     string       `json:"subject"`  // profile name of B
	Metric      string       `json:"metric"`   // "tg_tok_per_sec" or "pp_tok_per_sec"
	Speedup     float64      `json:"speedup"`  // B/A, > 1 means B is faster
	CILow       float64      `json:"ci_low"`
	CIHigh      float64      `json:"ci_high"`
	PValue      float64      `json:"p_value"`     // two-sided Mann-Whitney U
	Samples     [2][]float64 `json:"samples"`     // A's and B's raw samples of Metric
	Significant bool         `json:"significant"` // the CI excludes 1 (and p < alpha)
	Verdict     string       `json:"verdict"`     // the one-line sentence
}

// Correctness is B's numerical agreement with A on a greedy run.
type Correctness struct {
	Baseline        string  `json:"baseline"`
	Subject         string  `json:"subject"`
	Steps           int     `json:"steps"`            // greedy steps compared
	FirstDivergence int     `json:"first_divergence"` // -1 when all tokens agree
	MaxAbsLogitDiff float64 `json:"max_abs_logit_diff"`
	NMSE            float64 `json:"nmse"` // Σ(b-a)²/Σa² over all compared logits
}
