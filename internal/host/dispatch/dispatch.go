// Package dispatch routes each op of the kernel contract to the provider a
// profile chose for it, so that the model code calls ops without knowing who
// runs them. A Table remembers the first failure of any call (like
// bufio.Scanner) so the forward pass reads op by op, as run.c does, and
// checks for an error once at its end.
//
// Choice: for every op the plan lists candidate providers in order; the
// first that is usable on this CPU and whose Supports accepts the use wins.
// Ops with weights (matmul, rmsnorm) choose per tensor, so a provider may
// take the layers and decline, say, a 32000-row classifier. The scalar
// reference is always the last candidate, and every weight is also prepared
// on it (it keeps the engine's slices, so that costs nothing): when a
// provider fails at run time and the plan says fallback, the op is redone on
// the reference and stays there.
package dispatch

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// Candidate is one provider a plan offers for an op.
type Candidate struct {
	Provider kernels.Provider
	// Label names it in reports, e.g. "builtin.unroll8".
	Label string
	// Source says where the choice was configured, e.g.
	// "kernels.hcl:14,11-38 (profile fast, op matmul)".
	Source string
	// Unusable, when non-empty, says why this CPU cannot run the provider.
	Unusable string
}

// Plan is what a profile resolves to: candidates per op, and what to do
// when a provider fails at run time.
type Plan struct {
	Candidates map[kernels.Op][]Candidate
	// Fallback redoes a failed call on the scalar reference (and keeps
	// using it for that op) instead of stopping.
	Fallback bool
	// Logger receives fallbacks and choices; nil discards.
	Logger hclog.Logger
	// Cleanup releases what the providers share (a worker pool); the
	// table's Close calls it after closing the providers.
	Cleanup []func()
}

// Decision records why a provider was chosen for a use of an op, for
// "retrollama kernels explain".
type Decision struct {
	Op     kernels.Op
	Tensor string // weight name for matmul/rmsnorm; "" for the others
	Rows   int
	Cols   int
	DType  kernels.DType // the weight's element type (F32 for weightless ops)
	Chosen string        // label of the chosen provider
	Source string        // where the chosen candidate was configured
	Passed []string      // candidates skipped before it, each "label: reason"
	// Substituted is why this use does not run on what the profile
	// intended, or "": a provider it names could not run here, load, start
	// or take the weight (fallback), or no provider it names takes the
	// use, which then runs on the reference.
	Substituted string
}

// Substitution is an op that ran, for some or all of its uses, on another
// provider than the profile intended: what ran, and why. Every command
// and report that names a profile says these (never report work that did
// not happen).
type Substitution struct {
	Op    kernels.Op
	DType kernels.DType // of the weights (F32 for the ops without)
	Ran   string        // the provider label that ran them
	Why   string        // the provider passed over and its reason
	Uses  int           // how many of the op's uses (tensors, or 1): "all" when Uses == Of
	Of    int           // how many uses the op has in this table
	// Runtime marks a failed call redone on the reference (and every
	// later call of the op, whatever its dtype).
	Runtime bool
}

// String renders a substitution as one line for reports and stderr.
func (s Substitution) String() string {
	uses := "all its uses"
	if s.Uses < s.Of {
		uses = fmt.Sprintf("%d of its %d uses", s.Uses, s.Of)
	}
	return fmt.Sprintf("%s ran on %s for %s: %s", s.what(), s.Ran, uses, s.Why)
}

// what is the op, with the weights' dtype where it has weights: "matmul
// q8_0", "rope".
func (s Substitution) what() string {
	if (s.Op == kernels.MatMul || s.Op == kernels.RMSNorm) && !s.Runtime {
		return string(s.Op) + " " + s.DType.String()
	}
	return string(s.Op)
}

// Prepared is the engine's handle to a prepared tensor: the provider that
// runs it, that provider's handle (a kernels.Weight), and the reference's
// handle for fallback.
type Prepared struct {
	provider kernels.Provider
	w        kernels.Weight
	ref      kernels.Weight
}

// Table is the op → provider routing for one model, plus the sticky error.
type Table struct {
	plan      Plan
	shape     kernels.Shape
	log       hclog.Logger
	reference kernels.Provider
	// chosen provider of each op without weights
	rope, attention, swiglu, softmax kernels.Provider
	degraded                         map[kernels.Op]bool // ops moved to the reference after a failure
	initialised                      []kernels.Provider
	decisions                        []Decision
	err                              error

	runtime []Substitution // ops moved to the reference after a failed call

	timing bool     // per-op timing on (bench's instrumented pass)
	stats  []OpStat // accumulated while timing
}

// OpStat is the accumulated time one provider spent in one op while timing
// was on.
type OpStat struct {
	Op       kernels.Op
	Provider string
	Calls    int
	Elapsed  time.Duration
}

// SetTiming turns per-op timing on or off and clears what was
// accumulated. Off (the default) costs one predictable branch per op.
func (t *Table) SetTiming(on bool) {
	t.timing, t.stats = on, t.stats[:0]
}

// Timings returns the per-op, per-provider time accumulated since timing
// was turned on.
func (t *Table) Timings() []OpStat { return slices.Clone(t.stats) }

// start returns the time an op starts, when timing.
func (t *Table) start() time.Time {
	if !t.timing {
		return time.Time{}
	}
	return time.Now()
}

// done accounts an op that started at start, when timing.
func (t *Table) done(op kernels.Op, p kernels.Provider, start time.Time) {
	if !t.timing {
		return
	}
	d := time.Since(start)
	name := p.Name()
	for i := range t.stats {
		if s := &t.stats[i]; s.Op == op && s.Provider == name {
			s.Calls++
			s.Elapsed += d
			return
		}
	}
	t.stats = append(t.stats, OpStat{Op: op, Provider: name, Calls: 1, Elapsed: d})
}

// New initialises every usable candidate for shape and chooses providers
// for the ops that have no weights. The table owns plan.Cleanup: Close
// runs it, and so does New when it fails.
func New(plan Plan, shape kernels.Shape) (*Table, error) {
	t := &Table{plan: plan, shape: shape, log: plan.Logger, degraded: map[kernels.Op]bool{}}
	t.plan.Candidates = maps.Clone(plan.Candidates) // New marks providers that fail to start
	if t.log == nil {
		t.log = hclog.NewNullLogger()
	}
	t.reference = scalar.New()
	if err := t.init(t.reference); err != nil {
		t.Close()
		return nil, err
	}
	failedInit := map[kernels.Provider]string{}
	for _, op := range kernels.AllOps() {
		cands := slices.Clone(plan.Candidates[op])
		for i, c := range cands {
			if c.Unusable != "" {
				continue
			}
			if why, ok := failedInit[c.Provider]; ok {
				cands[i].Unusable = why
				continue
			}
			if err := t.init(c.Provider); err != nil {
				if !plan.Fallback {
					t.Close()
					return nil, err
				}
				// on_error = "fallback": a provider that cannot start
				// (a WASM module refusing the model, a plugin that died)
				// is passed over like one this CPU cannot run.
				t.log.Info("kernel provider failed to start; passing it over", "provider", c.Label, "error", err)
				failedInit[c.Provider] = "failed to start: " + err.Error()
				cands[i].Unusable = failedInit[c.Provider]
				_ = c.Provider.Close()
			}
		}
		t.plan.Candidates[op] = cands
	}
	for _, op := range []kernels.Op{kernels.RoPE, kernels.Attention, kernels.SwiGLU, kernels.Softmax} {
		p, _ := t.choose(kernels.Query{Op: op, DType: kernels.F32, Model: shape}, "")
		switch op {
		case kernels.RoPE:
			t.rope = p
		case kernels.Attention:
			t.attention = p
		case kernels.SwiGLU:
			t.swiglu = p
		case kernels.Softmax:
			t.softmax = p
		}
	}
	return t, nil
}

// Uniform is a plan that routes every op to one provider (then the
// reference).
func Uniform(p kernels.Provider, label string) Plan {
	plan := Plan{Candidates: map[kernels.Op][]Candidate{}}
	for _, op := range kernels.AllOps() {
		plan.Candidates[op] = []Candidate{{Provider: p, Label: label}}
	}
	return plan
}

func (t *Table) init(p kernels.Provider) error {
	for _, q := range t.initialised {
		if q == p {
			return nil
		}
	}
	if err := p.Init(t.shape); err != nil {
		return fmt.Errorf("init kernel provider %s: %w", p.Name(), err)
	}
	t.initialised = append(t.initialised, p)
	return nil
}

// choose picks the first candidate accepting q and records the decision.
func (t *Table) choose(q kernels.Query, tensor string) (kernels.Provider, Decision) {
	d := Decision{Op: q.Op, Tensor: tensor, Rows: q.Rows, Cols: q.Cols, DType: q.DType}
	for _, c := range t.plan.Candidates[q.Op] {
		if c.Unusable != "" {
			d.Passed = append(d.Passed, c.Label+": "+c.Unusable)
			if d.Substituted == "" {
				d.Substituted = c.Label + ": " + c.Unusable
			}
			continue
		}
		s := c.Provider.Supports(q)
		if !s.OK {
			d.Passed = append(d.Passed, c.Label+": "+s.Reason)
			continue
		}
		d.Chosen, d.Source = c.Label, c.Source
		t.decisions = append(t.decisions, d)
		return c.Provider, d
	}
	d.Chosen, d.Source = "builtin.scalar", "the reference, always the last fallback"
	if d.Substituted == "" && len(d.Passed) > 0 {
		d.Substituted = "no provider of the profile takes it (" + strings.Join(d.Passed, "; ") + ")"
	}
	t.decisions = append(t.decisions, d)
	return t.reference, d
}

// Summarize renders substitutions as few lines: one per provider that ran
// and reason, listing its ops ("matmul f32, rope ran on builtin.scalar:
// plugin.x: ..."); only the runtime ones, or only the others.
func Summarize(subs []Substitution, runtime bool) []string {
	type key struct{ ran, why string }
	ops := map[key][]string{}
	var order []key
	for _, s := range subs {
		if s.Runtime != runtime {
			continue
		}
		k := key{s.Ran, s.Why}
		if ops[k] == nil {
			order = append(order, k)
		}
		what := s.what()
		if s.Uses < s.Of {
			what += fmt.Sprintf(" (%d of %d uses)", s.Uses, s.Of)
		}
		ops[k] = append(ops[k], what)
	}
	var out []string
	for _, k := range order {
		out = append(out, fmt.Sprintf("%s ran on %s: %s", strings.Join(ops[k], ", "), k.ran, k.why))
	}
	return out
}

// Substitutions lists the ops that ran, or are set to run, on another
// provider than the profile intended, grouped by op, dtype, the provider
// that ran and why; empty when everything runs as named. Call it after
// the weights are prepared (and again after running, for failed calls
// redone on the reference).
func (t *Table) Substitutions() []Substitution {
	type key struct {
		op    kernels.Op
		dtype kernels.DType
		ran   string
		why   string
	}
	uses := map[kernels.Op]int{}
	count := map[key]int{}
	var order []key
	for _, d := range t.decisions {
		uses[d.Op]++
		if d.Substituted == "" {
			continue
		}
		k := key{d.Op, d.DType, d.Chosen, d.Substituted}
		if count[k] == 0 {
			order = append(order, k)
		}
		count[k]++
	}
	var out []Substitution
	for _, k := range order {
		out = append(out, Substitution{Op: k.op, DType: k.dtype, Ran: k.ran, Why: k.why, Uses: count[k], Of: uses[k.op]})
	}
	for _, r := range t.runtime {
		r.Of = max(uses[r.Op], 1)
		r.Uses = r.Of
		out = append(out, r)
	}
	return out
}

// AllocCache returns n zeroed floats for a KV cache: from the Attention
// provider when it is a kernels.CacheAllocator with room, so it reads the
// cache without copying, else from the Go heap.
func (t *Table) AllocCache(n int) []float32 {
	if a, ok := t.attention.(kernels.CacheAllocator); ok {
		if f := a.AllocCache(n); len(f) == n {
			return f
		}
	}
	return make([]float32, n)
}

// Providers returns every provider the table initialised, the reference
// first.
func (t *Table) Providers() []kernels.Provider { return slices.Clone(t.initialised) }

// Decisions returns every choice made so far (ops at New, weights as they
// are prepared), in order.
func (t *Table) Decisions() []Decision { return t.decisions }

// Prepare makes a weight tensor of op (MatMul: a matrix of either dtype;
// RMSNorm: a normalisation vector) resident in the provider chosen for
// it, and in the reference for fallback. A provider that re-lays the
// tensor out gives the original's memory back through tensor.Release
// when set.
func (t *Table) Prepare(op kernels.Op, tensor kernels.Tensor) (*Prepared, error) {
	q := kernels.Query{Op: op, DType: tensor.DType, Model: t.shape, Rows: tensor.Rows, Cols: tensor.Cols}
	if tensor.DType == kernels.Q8_0 {
		q.GroupSize = tensor.GroupSize
	}
	p, _ := t.choose(q, tensor.Name)
	ref, err := t.reference.Prepare(tensor)
	if err != nil {
		return nil, fmt.Errorf("prepare %s on the reference: %w", tensor.Name, err)
	}
	w := &Prepared{provider: t.reference, w: ref, ref: ref}
	if p != t.reference {
		pw, err := p.Prepare(tensor)
		if err != nil {
			err = fmt.Errorf("prepare %s on %s: %w", tensor.Name, p.Name(), err)
			if !t.plan.Fallback {
				return nil, err
			}
			// on_error = "fallback": this tensor stays on the reference
			// (a module out of memory can still run the smaller ones).
			t.log.Warn("kernel provider cannot take a weight; it runs on the scalar reference", "tensor", tensor.Name, "provider", p.Name(), "error", err)
			d := &t.decisions[len(t.decisions)-1]
			d.Passed = append(d.Passed, d.Chosen+": "+err.Error())
			d.Substituted = d.Chosen + " failed to take the weight: " + err.Error()
			d.Chosen, d.Source = "builtin.scalar", "fallback after a failed prepare"
			return w, nil
		}
		w.provider, w.w = p, pw
	}
	return w, nil
}

// Err returns the first error any op returned, or nil.
func (t *Table) Err() error { return t.err }

// failed handles a provider error: with fallback it logs, moves op to the
// reference and returns true so the caller redoes the call there; without
// it records the sticky error.
func (t *Table) failed(op kernels.Op, p kernels.Provider, err error) (redo bool) {
	if t.plan.Fallback && p != t.reference {
		t.log.Warn("kernel failed; falling back to the scalar reference", "op", op, "provider", p.Name(), "error", err)
		t.degraded[op] = true
		t.runtime = append(t.runtime, Substitution{Op: op, Runtime: true, Ran: "builtin.scalar",
			Why: fmt.Sprintf("%s failed a call (%v); that call and every later one redone on the reference", p.Name(), err)})
		return true
	}
	if t.err == nil {
		t.err = fmt.Errorf("%s on provider %s: %w", op, p.Name(), err)
	}
	return false
}

// MatMul runs kernels.MatMul unless an earlier op failed.
func (t *Table) MatMul(out []float32, w *Prepared, x []float32) {
	if t.err != nil {
		return
	}
	p, h := t.weighted(kernels.MatMul, w)
	start := t.start()
	if t.finish(kernels.MatMul, p, start, p.MatMul(out, h, x)) {
		t.MatMul(out, w, x)
	}
}

// RMSNorm runs kernels.RMSNorm unless an earlier op failed.
func (t *Table) RMSNorm(out, x []float32, w *Prepared) {
	if t.err != nil {
		return
	}
	p, h := t.weighted(kernels.RMSNorm, w)
	start := t.start()
	if t.finish(kernels.RMSNorm, p, start, p.RMSNorm(out, x, h)) {
		t.RMSNorm(out, x, w)
	}
}

// weighted returns the provider currently running op and w's handle on it:
// the reference's once op has fallen back.
func (t *Table) weighted(op kernels.Op, w *Prepared) (kernels.Provider, kernels.Weight) {
	if t.degraded[op] {
		return t.reference, w.ref
	}
	return w.provider, w.w
}

// finish records a call of op on p that began at start and returned err,
// and reports whether to redo it (on the reference, after a fallback).
func (t *Table) finish(op kernels.Op, p kernels.Provider, start time.Time, err error) (redo bool) {
	t.done(op, p, start)
	return err != nil && t.failed(op, p, err)
}

// provider returns the provider currently running op.
func (t *Table) provider(op kernels.Op, chosen kernels.Provider) kernels.Provider {
	if t.degraded[op] {
		return t.reference
	}
	return chosen
}

// RoPE runs kernels.RoPE unless an earlier op failed.
func (t *Table) RoPE(q, k []float32, pos int) {
	if t.err != nil {
		return
	}
	p := t.provider(kernels.RoPE, t.rope)
	start := t.start()
	if t.finish(kernels.RoPE, p, start, p.RoPE(q, k, pos)) {
		t.RoPE(q, k, pos)
	}
}

// Attention runs kernels.Attention unless an earlier op failed.
func (t *Table) Attention(out, q, keys, values []float32, pos int) {
	if t.err != nil {
		return
	}
	p := t.provider(kernels.Attention, t.attention)
	start := t.start()
	if t.finish(kernels.Attention, p, start, p.Attention(out, q, keys, values, pos)) {
		t.Attention(out, q, keys, values, pos)
	}
}

// SwiGLU runs kernels.SwiGLU unless an earlier op failed.
func (t *Table) SwiGLU(gate, up []float32) {
	if t.err != nil {
		return
	}
	p := t.provider(kernels.SwiGLU, t.swiglu)
	start := t.start()
	if t.finish(kernels.SwiGLU, p, start, p.SwiGLU(gate, up)) {
		t.SwiGLU(gate, up)
	}
}

// Softmax runs kernels.Softmax and returns its error directly: the sampler
// calls it outside the forward pass.
func (t *Table) Softmax(x []float32) error {
	p := t.provider(kernels.Softmax, t.softmax)
	start := t.start()
	err := p.Softmax(x)
	t.done(kernels.Softmax, p, start)
	if err != nil {
		if t.failed(kernels.Softmax, p, err) {
			return t.Softmax(x)
		}
		err, t.err = t.err, nil // the sampler reports it; keep the table usable
		return err
	}
	return nil
}

// Close closes every initialised provider once and returns their errors
// joined.
func (t *Table) Close() error {
	var errs []error
	for _, p := range t.initialised {
		if err := p.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close %s: %w", p.Name(), err))
		}
	}
	t.initialised = nil
	for _, f := range t.plan.Cleanup {
		f()
	}
	t.plan.Cleanup = nil
	return errors.Join(errs...)
}

// String renders a decision as one line for reports.
func (d Decision) String() string {
	what := string(d.Op)
	if d.Tensor != "" {
		what = fmt.Sprintf("%s %s %d×%d", d.Op, d.Tensor, d.Rows, d.Cols)
	}
	s := fmt.Sprintf("%s → %s (%s)", what, d.Chosen, d.Source)
	if len(d.Passed) > 0 {
		s += "; passed over " + strings.Join(d.Passed, "; ")
	}
	return s
}

// DecisionGroup is decisions that agree on op, shape, dtype and outcome,
// e.g. the six layers' wq: one line of "retrollama kernels explain".
type DecisionGroup struct {
	Decision Decision // the group's first decision
	// Use says which uses the group covers: "all calls" for ops without
	// a weight, else the shape, dtype (unless f32) and tensor kinds with
	// counts, e.g. "288×288 wq×6, wo×6".
	Use string
}

// GroupDecisions groups ds, in the order each group first appears, so
// that explaining a profile shows one line per distinct choice rather
// than one per tensor.
func GroupDecisions(ds []Decision) []DecisionGroup {
	type key struct {
		op             string
		rows, cols     int
		dtype          kernels.DType
		chosen, passed string
	}
	index := map[key]int{}
	var groups []DecisionGroup
	var names [][]string
	for _, d := range ds {
		k := key{string(d.Op), d.Rows, d.Cols, d.DType, d.Chosen, strings.Join(d.Passed, ";")}
		i, ok := index[k]
		if !ok {
			i = len(groups)
			index[k] = i
			groups = append(groups, DecisionGroup{Decision: d})
			names = append(names, nil)
		}
		if d.Tensor != "" {
			names[i] = append(names[i], tensorKind(d.Tensor))
		}
	}
	for i := range groups {
		if g := &groups[i]; g.Decision.Tensor == "" {
			g.Use = "all calls"
		} else {
			g.Use = fmt.Sprintf("%d×%d %s", g.Decision.Rows, g.Decision.Cols, kindCounts(names[i]))
			if g.Decision.DType != kernels.F32 {
				g.Use = fmt.Sprintf("%d×%d %s %s", g.Decision.Rows, g.Decision.Cols, g.Decision.DType, kindCounts(names[i]))
			}
		}
	}
	return groups
}

// tensorKind turns "layers.3.wq" into "wq".
func tensorKind(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// kindCounts renders tensor kinds with counts: "wq×6, wo×6".
func kindCounts(kinds []string) string {
	count := map[string]int{}
	var order []string
	for _, k := range kinds {
		if count[k] == 0 {
			order = append(order, k)
		}
		count[k]++
	}
	sort.Strings(order)
	parts := make([]string, len(order))
	for i, k := range order {
		parts[i] = k
		if count[k] > 1 {
			parts[i] = fmt.Sprintf("%s×%d", k, count[k])
		}
	}
	return strings.Join(parts, ", ")
}
