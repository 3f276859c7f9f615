// Package runner measures kernel profiles for bench: it builds one engine
// per profile on the same model, warms them up, and times them interleaved
// (A B A B …) on one deterministic token sequence, so that drift in the
// machine's speed hits every profile alike. It also runs the correctness
// pass (greedy agreement and logit differences against the first profile)
// and the instrumented per-op pass. External commands (llama2.c's run, see
// Command) take part in the same interleaved schedule as profiles.
package runner

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/retrollama/retrollama/bench"
	"github.com/retrollama/retrollama/bench/stats"
	"github.com/retrollama/retrollama/host/checkpoint"
	"github.com/retrollama/retrollama/host/config"
	"github.com/retrollama/retrollama/host/dispatch"
	"github.com/retrollama/retrollama/host/model"
	"github.com/retrollama/retrollama/host/registry"
	"github.com/retrollama/retrollama/kernels"
)

// Config says what to measure.
type Config struct {
	// Profiles are A, B, C, …: kernels.hcl profiles ("NAME" or
	// "NAME@THREADS") and external commands ("cmd:NAME", from Commands).
	Profiles []string
	Commands map[string]*Command // by Name

	Kernels      *config.File
	Checkpoint   *checkpoint.Checkpoint
	Threads      int
	GenTokens    int     // tokens generated per run (tg)
	PromptTokens int     // prompt tokens processed per run (pp); 0 = none
	Runs         int     // measured runs per profile (≥ 2)
	Warmup       int     // unmeasured rounds first
	UntilCI      float64 // keep running until every tg CI half-width ≤ this fraction (0 = off)
	MaxRuns      int     // cap for UntilCI
	// HalfWidth computes the relative CI half-width for UntilCI (the
	// statistics package's); required when UntilCI > 0.
	HalfWidth func([]float64) float64
	// Progress, when set, is told after every measured run.
	Progress func(done, total int)
	// Fallback lets a profile whose provider cannot run here (or fails)
	// run on the next provider (--fallback); the report's Substitutions
	// then say what ran. Without it (and without on_error = "fallback"
	// in the profile) that is an error before anything is measured.
	Fallback bool
	// Isolated, when set, measures one run of a profile in a fresh process
	// (--isolate) and returns its sample and that process's peak RSS.
	Isolated func(profile string) (Sample, int64, error)
}

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
	case c.UntilCI < 0 || c.UntilCI >= 1:
		return fmt.Errorf("--until-ci %g must be a fraction in (0, 1), e.g. 0.02", c.UntilCI)
	case c.UntilCI > 0 && c.HalfWidth == nil:
		return errors.New("runner: UntilCI needs HalfWidth")
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

// run measures the entry once.
func (e entry) run(seq []int, c *Config) (Sample, int64, error) {
	if e.cmd != nil {
		s, err := e.cmd.Run()
		return s, 0, err
	}
	if c.Isolated != nil {
		return c.Isolated(e.name)
	}
	s, err := e.engine.runOnce(seq, c.PromptTokens, c.GenTokens)
	return s, 0, err
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
		t, err := registry.Open(c.Kernels, profile, model.Shape(c.Checkpoint.Config), registry.Options{Threads: threads, Fallback: c.Fallback})
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
		argmax(logits) // the greedy sampler's work; the next input stays the fixed sequence
		if i == 0 {
			s.TTFT = time.Since(start)
		}
		pos++
	}
	s.GenTokPerSec = float64(gen) / time.Since(ppDone).Seconds()
	return s, nil
}

// Run measures every profile and returns the report without statistics
// (bench's statistics and report packages fill and render it).
func Run(c *Config) (*bench.Report, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	engines, err := open(c)
	if err != nil {
		return nil, err
	}
	defer closeAll(engines)
	seq := Sequence(c.Checkpoint.Config.VocabSize, c.PromptTokens+c.GenTokens)
	r := &bench.Report{Schema: bench.SchemaVersion, Created: time.Now().UTC()}
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

	for range c.Warmup {
		for _, e := range entries {
			var err error
			if e.cmd != nil {
				_, err = e.cmd.Run()
			} else {
				_, err = e.engine.runOnce(seq, c.PromptTokens, c.GenTokens)
			}
			if err != nil {
				return nil, fmt.Errorf("%s: warm-up: %w", describe(e.name), err)
			}
		}
	}
	total := c.Runs
	if c.UntilCI > 0 {
		total = max(c.MaxRuns, c.Runs)
	}
	for run := 0; run < total; run++ {
		for i, e := range entries {
			p := &r.Profiles[i]
			s, rss, err := e.run(seq, c)
			if err != nil {
				return nil, fmt.Errorf("%s: run %d: %w", describe(e.name), run+1, err)
			}
			p.GenTokPerSec = append(p.GenTokPerSec, s.GenTokPerSec)
			if e.cmd == nil { // a command reports none of these (see Command.Run)
				if c.Isolated != nil {
					p.PeakRSSBytes = append(p.PeakRSSBytes, rss)
				}
				p.PromptTokPerSec = append(p.PromptTokPerSec, s.PromptTokPerSec)
				p.TTFTSeconds = append(p.TTFTSeconds, s.TTFT.Seconds())
			}
		}
		if c.Progress != nil {
			c.Progress(run+1, total)
		}
		if run+1 >= c.Runs && c.UntilCI > 0 && precise(r, c) {
			break
		}
	}
	if c.Isolated == nil {
		rss := PeakRSS() // one process for all profiles: one shared figure
		for _, e := range engines {
			r.Profiles[slot[e]].PeakRSSBytes = []int64{rss}
		}
	}
	for _, e := range engines {
		r.Profiles[slot[e]].Substitutions = Substitutions(e.table)
	}
	if err := correctness(engines, r, c.GenTokens); err != nil {
		return nil, err
	}
	if err := opBreakdown(engines, slot, r, seq, c); err != nil {
		return nil, err
	}
	return r, nil
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
			token = argmax(logits)
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

func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
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
