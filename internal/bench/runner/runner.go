// Package runner measures kernel profiles for bench: it builds one engine
// per profile on the same model, warms them up, and times them interleaved
// (A B A B …) on one deterministic token sequence, so that drift in the
// machine's speed hits every profile alike. It also runs the correctness
// pass (greedy agreement and logit differences against the first profile)
// and the instrumented per-op pass. External commands (llama2.c's run, see
// Command) take part in the same interleaved schedule as profiles.
package runner

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/retrollama/retrollama/internal/f32"

	"github.com/retrollama/retrollama/internal/bench"
	"github.com/retrollama/retrollama/internal/bench/analysis"
	"github.com/retrollama/retrollama/internal/bench/stats"
	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/internal/host/dispatch"
	"github.com/retrollama/retrollama/internal/host/kernelsfile"
	"github.com/retrollama/retrollama/internal/host/model"
	"github.com/retrollama/retrollama/internal/host/registry"
	"github.com/retrollama/retrollama/internal/kernels/builtin"
	"github.com/retrollama/retrollama/kernels"
)

// Config says what to measure.
type Config struct {
	// Profiles are A, B, C, …: kernels.hcl profiles ("NAME" or
	// "NAME@THREADS") and external commands ("cmd:NAME", from Commands).
	Profiles []string
	Commands map[string]*Command // by Name

	Kernels *kernelsfile.File
	// Builtins is the catalog Kernels' builtin providers come from (nil:
	// those compiled in), as registry.Options.Builtins.
	Builtins     []builtin.Info
	Checkpoint   *checkpoint.Checkpoint
	Threads      int
	GenTokens    int     // tokens generated per run (tg)
	PromptTokens int     // prompt tokens processed per run (pp); 0 = none
	Runs         int     // measured runs per profile (≥ 2); with UntilCI, the runs before the first check (capped at MaxRuns)
	Warmup       int     // unmeasured rounds first
	UntilCI      float64 // keep running until every tg CI half-width ≤ this fraction (0 = off); see ParsePercent
	MaxRuns      int     // with UntilCI: the most measured runs per profile (≥ 2), warm-up not counted
	// HalfWidth computes the relative CI half-width for UntilCI (the
	// statistics package's); required when UntilCI > 0.
	HalfWidth func([]float64) float64
	// Progress, when set, is told after every measured round (one run of
	// each profile); total is PlannedRuns.
	Progress func(done, total int)
	// Fallback lets a profile whose provider cannot run here (or fails)
	// run on the next provider (--fallback); the report's Substitutions
	// then say what ran. Without it (and without on_error = "fallback"
	// in the profile) that is an error before anything is measured.
	Fallback bool
	// Isolated, when set, measures one run of a profile in a fresh process
	// (--isolate) and returns its sample and that process's peak RSS. It
	// cannot be stopped: on cancellation the runner waits for the run to
	// end. IsolatedContext is the same hook with cancellation; set one.
	Isolated func(profile string) (Sample, int64, error)
	// IsolatedContext is Isolated with the run's context: when ctx is
	// cancelled the hook should kill its process (exec.CommandContext, with
	// OwnProcessGroup so that the terminal's Ctrl-C does not kill it first)
	// and return an error; the runner then drops that run and returns the
	// partial report (see RunContext).
	IsolatedContext func(ctx context.Context, profile string) (Sample, int64, error)
}

// PlannedRuns is the most measured runs per profile c can make (warm-up
// not counted): MaxRuns with UntilCI, else Runs. It is the total a
// progress bar should show.
func (c *Config) PlannedRuns() int {
	if c.UntilCI > 0 {
		return c.MaxRuns
	}
	return c.Runs
}

// firstCheck is the number of runs after which UntilCI is first checked:
// Runs, but never more than MaxRuns.
func (c *Config) firstCheck() int { return min(c.Runs, c.MaxRuns) }

// isolated reports whether measured runs happen in fresh processes.
func (c *Config) isolated() bool { return c.Isolated != nil || c.IsolatedContext != nil }

// Validate reports the first setting that cannot work.
func (c *Config) Validate() error {
	switch {
	case len(c.Profiles) < 1:
		return errors.New("bench needs profiles to measure (--a and --b)")
	case c.Runs < 2:
		return fmt.Errorf("--runs %d: at least 2 runs per profile are needed for any statistics", c.Runs)
	case c.Warmup < 0:
		return fmt.Errorf("--warmup %d is negative", c.Warmup)
	case c.GenTokens < 1:
		return fmt.Errorf("-n %d: generate at least 1 token", c.GenTokens)
	case c.PromptTokens < 0:
		return fmt.Errorf("--prompt-tokens %d is negative", c.PromptTokens)
	case c.Checkpoint == nil || c.Kernels == nil:
		return errors.New("bench needs a model and a kernels file")
	case c.PromptTokens+c.GenTokens > c.Checkpoint.Config.SeqLen:
		return fmt.Errorf("--prompt-tokens %d + -n %d exceed the model's context of %d", c.PromptTokens, c.GenTokens, c.Checkpoint.Config.SeqLen)
	case c.UntilCI < 0 || c.UntilCI >= 1 || math.IsNaN(c.UntilCI):
		return fmt.Errorf("--until-ci %g must be a fraction in (0, 1), e.g. 0.02 for 2%%", c.UntilCI)
	case c.UntilCI > 0 && c.MaxRuns < 2:
		return fmt.Errorf("--max-runs %d: --until-ci needs at least 2 runs per profile", c.MaxRuns)
	case c.UntilCI > 0 && c.HalfWidth == nil:
		return errors.New("runner: UntilCI needs HalfWidth")
	case c.Isolated != nil && c.IsolatedContext != nil:
		return errors.New("runner: set Isolated or IsolatedContext, not both")
	}
	for _, p := range c.Profiles {
		if name, ok := strings.CutPrefix(p, CommandPrefix); ok && c.Commands[name] == nil {
			return fmt.Errorf("%s: no command %q was given (--cmd %s=TEMPLATE)", p, name, name)
		}
	}
	return nil
}

// entry is one of the things measured: a profile's engine or a command.
type entry struct {
	name   string
	engine *engine  // nil for a command
	cmd    *Command // nil for a profile
}

// measureOnce measures the entry once. A command or isolated process is killed
// when ctx is cancelled; an in-process run always runs to its end.
func (e entry) measureOnce(ctx context.Context, seq []int, c *Config) (Sample, int64, error) {
	if e.cmd != nil {
		s, err := e.cmd.RunContext(ctx)
		return s, 0, err
	}
	if c.IsolatedContext != nil {
		return c.IsolatedContext(ctx, e.name)
	}
	if c.Isolated != nil {
		return c.Isolated(e.name)
	}
	s, err := e.engine.runOnce(seq, c.PromptTokens, c.GenTokens)
	return s, 0, err
}

// warm runs the entry once unmeasured: in process for a profile (an
// isolated process warms itself up), afresh for a command.
func (e entry) warm(ctx context.Context, seq []int, c *Config) error {
	if e.cmd != nil {
		_, err := e.cmd.RunContext(ctx)
		return err
	}
	_, err := e.engine.runOnce(seq, c.PromptTokens, c.GenTokens)
	return err
}

// stoppable reports whether a run of the entry can be stopped half-way
// (a process of its own), so that its error after a cancellation is the
// stop, not a failure.
func (e entry) stoppable(c *Config) bool {
	return e.cmd != nil || c.IsolatedContext != nil
}

// engine is one profile's running model.
type engine struct {
	profile string
	table   *dispatch.Table
	model   *model.Transformer
}

// open builds every profile's engine; a provider that cannot run here is
// an error unless c.Fallback or the profile's on_error allows it.
func open(c *Config) ([]*engine, error) {
	var engines []*engine
	for _, name := range c.Profiles {
		if strings.HasPrefix(name, CommandPrefix) {
			continue
		}
		profile, threads, err := ParseProfile(name, c.Threads)
		if err != nil {
			closeAll(engines)
			return nil, err
		}
		t, err := registry.Open(c.Kernels, profile, model.Shape(c.Checkpoint.Config), registry.Options{Threads: threads, Fallback: c.Fallback, Builtins: c.Builtins})
		if err != nil {
			closeAll(engines)
			return nil, fmt.Errorf("profile %s: %w", name, err)
		}
		m, err := model.New(c.Checkpoint, t)
		if err != nil {
			t.Close()
			closeAll(engines)
			return nil, fmt.Errorf("profile %s: %w", name, err)
		}
		engines = append(engines, &engine{profile: name, table: t, model: m})
	}
	return engines, nil
}

func closeAll(engines []*engine) {
	for _, e := range engines {
		e.table.Close()
	}
}

// ParseProfile splits a profile as bench names it, "NAME" or
// "NAME@THREADS", into the kernels.hcl profile and its threads per op
// (threads when none is given). "avx2@1" against "avx2@2" measures what a
// second thread gives, in one run.
func ParseProfile(spec string, threads int) (name string, n int, err error) {
	name, t, found := strings.Cut(spec, "@")
	if !found {
		return spec, threads, nil
	}
	n, err = strconv.Atoi(t)
	if err != nil || n < 1 || name == "" {
		return "", 0, fmt.Errorf("profile %q: want NAME or NAME@THREADS with THREADS ≥ 1", spec)
	}
	return name, n, nil
}

// Sequence returns the deterministic token sequence every profile
// processes: n ids spread over the vocabulary (a splitmix64 stream),
// starting with BOS.
func Sequence(vocab, n int) []int {
	seq := make([]int, n)
	x := uint64(0x9E3779B97F4A7C15)
	for i := range seq {
		x += 0x9E3779B97F4A7C15
		z := x
		z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
		z = (z ^ z>>27) * 0x94D049BB133111EB
		z ^= z >> 31
		seq[i] = int(z % uint64(vocab))
	}
	if n > 0 {
		seq[0] = 1
	}
	return seq
}

// Sample is one measured run of one profile.
type Sample struct {
	PromptTokPerSec float64 // 0 when there is no prompt
	GenTokPerSec    float64
	TTFT            time.Duration
}

// runOnce processes the prompt then generates, from position 0.
func (e *engine) runOnce(seq []int, prompt, gen int) (Sample, error) {
	var s Sample
	start := time.Now()
	pos := 0
	for ; pos < prompt; pos++ {
		if _, err := e.model.Forward(seq[pos], pos); err != nil {
			return s, err
		}
	}
	ppDone := time.Now()
	if prompt > 0 {
		s.PromptTokPerSec = float64(prompt) / ppDone.Sub(start).Seconds()
	}
	for i := range gen {
		logits, err := e.model.Forward(seq[pos], pos)
		if err != nil {
			return s, err
		}
		f32.Argmax(logits) // the greedy sampler's work; the next input stays the fixed sequence
		if i == 0 {
			s.TTFT = time.Since(start)
		}
		pos++
	}
	s.GenTokPerSec = float64(gen) / time.Since(ppDone).Seconds()
	return s, nil
}

// Run is RunContext without cancellation: it measures everything.
func Run(c *Config) (*bench.Report, error) {
	return RunContext(context.Background(), c)
}

// RunContext measures every profile and returns the report without
// statistics (bench's analysis and report packages fill and render it);
// its Settings are c's, with Runs the runs actually made.
//
// Cancelling ctx (the CLI does on SIGINT) stops the bench at the next
// run boundary: an in-process run is never cut short, but an external
// command or an isolated process (IsolatedContext) under way is killed
// and its run dropped. RunContext then returns, with a nil error, the
// report of the runs that finished, marked Partial with a PartialReason
// that says where it stopped and that the correctness check and per-op
// breakdown were skipped (they are not run). A profile may then hold no
// runs at all, or one run more than a later profile.
//
// With UntilCI, the runs per profile never exceed MaxRuns; when a
// profile's tg CI is still wider than UntilCI after MaxRuns, the report
// carries a Warning naming the profile, its half-width and the target.
func RunContext(ctx context.Context, c *Config) (*bench.Report, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	engines, err := open(c)
	if err != nil {
		return nil, err
	}
	defer closeAll(engines)
	seq := Sequence(c.Checkpoint.Config.VocabSize, c.PromptTokens+c.GenTokens)
	r := &bench.Report{Schema: bench.SchemaVersion, Created: time.Now().UTC(), Settings: bench.Settings{
		GenTokens: c.GenTokens, PromptTokens: c.PromptTokens, Warmup: c.Warmup, Threads: c.Threads,
		Isolate: c.isolated(), UntilCI: c.UntilCI,
	}}
	if c.UntilCI > 0 {
		r.Settings.MaxRuns = c.MaxRuns
	}
	var entries []entry
	slot := map[*engine]int{} // an engine's index in r.Profiles
	for i, name := range c.Profiles {
		p := bench.Profile{Name: name, Label: string(rune('A' + i))}
		e := entry{name: name}
		if cmdName, ok := strings.CutPrefix(name, CommandPrefix); ok {
			e.cmd = c.Commands[cmdName]
			p.Command, p.CommandRegex = e.cmd.Argv, e.cmd.Regex.String()
		} else {
			e.engine = engines[len(slot)]
			slot[e.engine] = i
		}
		entries = append(entries, e)
		r.Profiles = append(r.Profiles, p)
	}

	stop, err := measure(ctx, c, entries, seq, r)
	if err != nil {
		return nil, err
	}
	if !c.isolated() {
		rss := PeakRSS() // one process for all profiles: one shared figure
		for _, e := range engines {
			r.Profiles[slot[e]].PeakRSSBytes = []int64{rss}
		}
	}
	r.Settings.Runs = len(r.Profiles[0].GenTokPerSec)
	for _, p := range r.Profiles {
		r.Settings.Runs = min(r.Settings.Runs, len(p.GenTokPerSec))
	}
	for _, e := range engines { // what ran instead of what was named, if anything
		r.Profiles[slot[e]].Substitutions = Substitutions(e.table)
	}
	if stop != nil {
		r.Partial, r.PartialReason = true, stop.reason(c, len(engines))
		return r, nil
	}
	if c.UntilCI > 0 {
		r.Warnings = append(r.Warnings, untilCIWarnings(r, c)...)
	}
	if err := correctness(engines, r, c.GenTokens); err != nil {
		return nil, err
	}
	if err := opBreakdown(engines, slot, r, seq, c); err != nil {
		return nil, err
	}
	return r, nil
}

// interruption is where a cancelled bench stopped.
type interruption struct {
	cause   error
	warmup  bool     // in the warm-up rounds
	round   int      // 1-based round under way (warm-up or measured)
	rounds  int      // rounds planned (warm-up, or PlannedRuns)
	ahead   []string // the entries that had finished their run of the round
	dropped string   // the entry whose run was stopped half-way, if any
}

// reason is the report's PartialReason; engines is how many in-process
// profiles the skipped passes would have covered.
func (s *interruption) reason(c *Config, engines int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "interrupted (%v) ", s.cause)
	atMost := ""
	if !s.warmup && c.UntilCI > 0 {
		atMost = "at most "
	}
	switch {
	case s.warmup:
		fmt.Fprintf(&b, "in warm-up round %d of %d, before any measured run", s.round, s.rounds)
	case len(s.ahead) > 0 || s.dropped != "":
		fmt.Fprintf(&b, "in measured round %d of %s%d", s.round, atMost, s.rounds)
		if len(s.ahead) > 0 {
			fmt.Fprintf(&b, ", which only %s finished (one run more than the others)", strings.Join(s.ahead, ", "))
		}
	default:
		fmt.Fprintf(&b, "after %d measured rounds of %s%d", s.round-1, atMost, s.rounds)
	}
	switch {
	case s.dropped != "" && s.warmup:
		fmt.Fprintf(&b, "; the warm-up run of %s under way was stopped", s.dropped)
	case s.dropped != "":
		fmt.Fprintf(&b, "; the run of %s under way was stopped and dropped", s.dropped)
	}
	switch {
	case engines >= 2:
		b.WriteString("; the correctness check and the per-op breakdown were skipped")
	case engines == 1:
		b.WriteString("; the per-op breakdown was skipped")
	}
	return b.String()
}

// measure runs the warm-up rounds and then the measured rounds, appending
// each finished run's figures to r's profiles. On cancellation it returns
// where it stopped and a nil error; a run that fails otherwise is an
// error.
func measure(ctx context.Context, c *Config, entries []entry, seq []int, r *bench.Report) (*interruption, error) {
	// stopped reports the interruption when ctx is done before entry i of
	// a round, or when run failed because ctx was cancelled under it.
	stopped := func(warmup bool, round, rounds, i int, runErr error) *interruption {
		if ctx.Err() == nil || (runErr != nil && !entries[i].stoppable(c)) {
			return nil
		}
		s := &interruption{cause: context.Cause(ctx), warmup: warmup, round: round, rounds: rounds}
		if !warmup {
			for _, e := range entries[:i] {
				s.ahead = append(s.ahead, e.name)
			}
		}
		if runErr != nil {
			s.dropped = entries[i].name
		}
		return s
	}
	for w := range c.Warmup {
		for i, e := range entries {
			if s := stopped(true, w+1, c.Warmup, i, nil); s != nil {
				return s, nil
			}
			if err := e.warm(ctx, seq, c); err != nil {
				if s := stopped(true, w+1, c.Warmup, i, err); s != nil {
					return s, nil
				}
				return nil, fmt.Errorf("%s: warm-up: %w", describe(e.name), err)
			}
		}
	}
	total := c.PlannedRuns()
	for run := 0; run < total; run++ {
		for i, e := range entries {
			if s := stopped(false, run+1, total, i, nil); s != nil {
				return s, nil
			}
			p := &r.Profiles[i]
			s, rss, err := e.measureOnce(ctx, seq, c)
			if err != nil {
				if s := stopped(false, run+1, total, i, err); s != nil {
					return s, nil
				}
				return nil, fmt.Errorf("%s: run %d: %w", describe(e.name), run+1, err)
			}
			p.GenTokPerSec = append(p.GenTokPerSec, s.GenTokPerSec)
			if e.cmd == nil { // a command reports none of these (see Command.Run)
				if c.isolated() {
					p.PeakRSSBytes = append(p.PeakRSSBytes, rss)
				}
				p.PromptTokPerSec = append(p.PromptTokPerSec, s.PromptTokPerSec)
				p.TTFTSeconds = append(p.TTFTSeconds, s.TTFT.Seconds())
			}
		}
		if c.Progress != nil {
			c.Progress(run+1, total)
		}
		if run+1 >= c.firstCheck() && c.UntilCI > 0 && precise(r, c) {
			break
		}
	}
	return nil, nil
}

// untilCIWarnings names every profile whose tg CI is still wider than
// the --until-ci target after the runs made (MaxRuns).
func untilCIWarnings(r *bench.Report, c *Config) []string {
	var out []string
	target := strconv.FormatFloat(c.UntilCI*100, 'g', 4, 64) + "%"
	for _, p := range r.Profiles {
		hw := c.HalfWidth(p.GenTokPerSec)
		if hw <= c.UntilCI {
			continue
		}
		n := len(p.GenTokPerSec)
		if math.IsInf(hw, 0) || math.IsNaN(hw) {
			out = append(out, fmt.Sprintf("tg 95%% CI of %s cannot be computed from %d runs, so the --until-ci target %s was not reached after the maximum %d runs",
				p.Name, n, target, n))
			continue
		}
		out = append(out, fmt.Sprintf("tg 95%% CI half-width of %s is %s%%, above the --until-ci target %s after the maximum %d runs",
			p.Name, strconv.FormatFloat(hw*100, 'g', 3, 64), target, n))
	}
	return out
}

// Substitutions converts a table's substitutions for a report.
func Substitutions(t *dispatch.Table) []bench.Substitution {
	var out []bench.Substitution
	for _, s := range t.Substitutions() {
		b := bench.Substitution{Op: string(s.Op), Ran: s.Ran, Why: s.Why, Uses: s.Uses, Of: s.Of, Line: s.String()}
		if (s.Op == kernels.MatMul || s.Op == kernels.RMSNorm) && !s.Runtime {
			b.DType = s.DType.String()
		}
		out = append(out, b)
	}
	return out
}

// describe names a measured entry in errors: "profile avx2" or
// "command cmd:llama2c".
func describe(name string) string {
	if strings.HasPrefix(name, CommandPrefix) {
		return "command " + name
	}
	return "profile " + name
}

// precise reports whether every profile's tg CI is narrow enough.
func precise(r *bench.Report, c *Config) bool {
	for _, p := range r.Profiles {
		if c.HalfWidth(p.GenTokPerSec) > c.UntilCI {
			return false
		}
	}
	return true
}

// correctness runs every profile greedily from BOS and compares tokens and
// logits with the first profile's (commands, whose logits are not seen,
// take no part).
func correctness(engines []*engine, r *bench.Report, steps int) error {
	traces := make([][][]float32, len(engines))
	tokens := make([][]int, len(engines))
	for i, e := range engines {
		token := 1
		for pos := range steps {
			logits, err := e.model.Forward(token, pos)
			if err != nil {
				return fmt.Errorf("profile %s: correctness pass: %w", e.profile, err)
			}
			traces[i] = append(traces[i], append([]float32(nil), logits...))
			token = f32.Argmax(logits)
			tokens[i] = append(tokens[i], token)
		}
	}
	for i := 1; i < len(engines); i++ {
		c := bench.Correctness{Baseline: engines[0].profile, Subject: engines[i].profile, Steps: steps, FirstDivergence: -1}
		var num, den float64
		for step := range steps {
			if c.FirstDivergence < 0 && tokens[i][step] != tokens[0][step] {
				c.FirstDivergence = step
			}
			if c.FirstDivergence >= 0 && step > c.FirstDivergence {
				break // later logits answer different inputs
			}
			for j, a := range traces[0][step] {
				d := float64(traces[i][step][j]) - float64(a)
				c.MaxAbsLogitDiff = math.Max(c.MaxAbsLogitDiff, math.Abs(d))
				num += d * d
				den += float64(a) * float64(a)
			}
		}
		if den > 0 {
			c.NMSE = num / den
		}
		r.Correctness = append(r.Correctness, c)
	}
	return nil
}

// opBreakdown runs one instrumented generation per profile and records the
// time per token in each op and provider, plus how much the timing itself
// slowed the profile (against its median uninstrumented run).
func opBreakdown(engines []*engine, slot map[*engine]int, r *bench.Report, seq []int, c *Config) error {
	for _, e := range engines {
		e.table.SetTiming(true)
		boundaryBefore := boundaryTimes(e.table)
		s, err := e.runOnce(seq, c.PromptTokens, c.GenTokens)
		timings := e.table.Timings()
		boundary := subtract(boundaryTimes(e.table), boundaryBefore)
		e.table.SetTiming(false)
		if err != nil {
			return fmt.Errorf("profile %s: instrumented pass: %w", e.profile, err)
		}
		tokens := float64(c.PromptTokens + c.GenTokens)
		p := &r.Profiles[slot[e]]
		for _, st := range timings {
			b := boundary[opProvider{st.Op, st.Provider}].Seconds() / tokens
			p.Ops = append(p.Ops, bench.OpTime{
				Op: string(st.Op), Provider: st.Provider,
				Calls:           float64(st.Calls) / tokens,
				ComputeSeconds:  st.Elapsed.Seconds()/tokens - b,
				BoundarySeconds: b,
			})
		}
		if m := stats.Median(p.GenTokPerSec); m > 0 && s.GenTokPerSec > 0 {
			p.InstrumentationOverhead = m/s.GenTokPerSec - 1
		}
	}
	return nil
}

type opProvider struct {
	op       kernels.Op
	provider string
}

// boundaryTimes reads the cumulative boundary time of every provider that
// reports one.
func boundaryTimes(t *dispatch.Table) map[opProvider]time.Duration {
	out := map[opProvider]time.Duration{}
	for _, op := range kernels.AllOps() {
		for _, p := range t.Providers() {
			if bt, ok := p.(kernels.BoundaryTimer); ok {
				out[opProvider{op, p.Name()}] = bt.BoundaryTime(op)
			}
		}
	}
	return out
}

func subtract(a, b map[opProvider]time.Duration) map[opProvider]time.Duration {
	for k, v := range b {
		a[k] -= v
	}
	return a
}

// Bench is what "retrollama bench" reports: c measured (RunContext,
// a partial report when ctx is cancelled), the environment recorded
// (Environment) and the statistics filled in (analysis.Fill).
func Bench(ctx context.Context, c *Config) (*bench.Report, error) {
	r, err := RunContext(ctx, c)
	if err != nil {
		return nil, err
	}
	r.Env = Environment(c.Kernels, c.Checkpoint)
	if err := analysis.Fill(r); err != nil {
		return nil, err
	}
	return r, nil
}

// Once is the measurement a fresh --isolate process makes: one profile's
// engine, c.Warmup unmeasured runs, then one measured run.
func Once(c *Config, profile string) (Sample, error) {
	one := *c
	one.Profiles, one.Runs = []string{profile}, 2
	if err := one.Validate(); err != nil {
		return Sample{}, err
	}
	engines, err := open(&one)
	if err != nil {
		return Sample{}, err
	}
	defer closeAll(engines)
	seq := Sequence(c.Checkpoint.Config.VocabSize, c.PromptTokens+c.GenTokens)
	for range c.Warmup {
		if _, err := engines[0].runOnce(seq, c.PromptTokens, c.GenTokens); err != nil {
			return Sample{}, fmt.Errorf("profile %s: warm-up: %w", profile, err)
		}
	}
	s, err := engines[0].runOnce(seq, c.PromptTokens, c.GenTokens)
	if err != nil {
		return Sample{}, fmt.Errorf("profile %s: %w", profile, err)
	}
	return s, nil
}
