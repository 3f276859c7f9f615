// Package ops microbenchmarks each op of a provider at a model's real
// shapes (in the style of ggml's test-backend-ops perf mode): µs per call,
// GFLOP/s and GB/s, so it is visible whether an op is compute- or
// bandwidth-bound.
package ops

import (
	"fmt"
	"io"
	"time"

	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/internal/host/model"
	"github.com/retrollama/retrollama/internal/table"
	"github.com/retrollama/retrollama/kernels"
)

// Result is one op at one shape on one provider.
type Result struct {
	Provider string
	Op       kernels.Op
	DType    string // the weight's: "f32" or "q8_0"; "" for ops without one
	Case     string // e.g. "288×288 wq"
	Calls    int
	PerCall  time.Duration
	GFLOPs   float64 // floating-point operations per second, 1e9
	GBs      float64 // bytes read and written per second, 1e9 (Bytes per call)

	// The case's parts, for machine-readable output (SweepReport).
	// Model is the model shape's name (Sweep only; "" from Measure);
	// Tensor, Rows, Cols and WeightBytes are set for matmuls only;
	// GroupSize for Q8_0 weights only.
	Model       string
	Tensor      string  // the matrix's role: wq, wk, w1, w2, classifier
	Rows, Cols  int     // the weight matrix's shape
	GroupSize   int     // Q8_0 values per scale
	FLOPs       float64 // floating-point operations per call
	Bytes       float64 // bytes read and written per call: weights, inputs, outputs
	WeightBytes float64 // bytes of weights (values and scales) read per call
	Seconds     float64 // mean seconds per call, unrounded (PerCall is whole ns)
}

// bench is one op call to time, with its work counted.
type bench struct {
	op    kernels.Op
	name  string
	flops float64
	bytes float64
	call  func() error
	// skip says why the op is not timed ("" to time it); it still
	// counts as one step of progress.
	skip string
	// fill completes the result (dtype, shape) once timed.
	fill func(*Result)
}

// Options are the optional settings of MeasureWith, SweepWith and the
// *All functions. The zero value times every case three times, reporting
// no progress.
type Options struct {
	// MinTime is how long each case is timed at least (after one untimed
	// call, and for at least three calls).
	MinTime time.Duration
	// Progress, when not nil, is told after every step; see Progress.
	Progress Progress
}

// Progress is told of a measurement's progress after each step (one op at
// one shape and dtype, timed or skipped because the provider does not
// support it): done steps of total, and what the step was, e.g.
// "builtin.avx2 stories15M 288×288 wq q8_0", or the same followed by
// " (skipped: unsupported: REASON)". total is the same in every call and known
// before the first step is taken (MeasureSteps, SweepSteps), done rises
// by one per call, and the last call of a run that does not fail has
// done == total. Calls come from the measuring goroutine, between
// timings, so a slow callback slows the run but never a timing.
type Progress func(done, total int, what string)

// Named is a provider to measure: its label in the results and a
// constructor that returns a fresh, un-Init'ed instance each call.
type Named struct {
	Label string
	New   func() (kernels.Provider, error)
}

// stepper counts progress steps across one or more measurements.
type stepper struct {
	progress    Progress
	done, total int
}

// step reports one finished step.
func (s *stepper) step(what string) {
	if s == nil || s.progress == nil {
		return
	}
	s.done++
	s.progress(s.done, s.total, what)
}

// measureMatrices is the number of matrices Measure times (each a step).
const measureMatrices = 5

// MeasureSteps is the number of progress steps MeasureWith takes for one
// provider: five matmuls (wq, wk, w1, w2, classifier) and five other ops
// (rmsnorm, rope, attention, swiglu, softmax), whichever the provider
// supports.
func MeasureSteps() int { return measureMatrices + 5 }

// Measure times every op of p (a fresh, un-Init'ed provider) at the shapes
// of ck, each for at least minTime. It is MeasureWith without progress.
func Measure(label string, p kernels.Provider, ck *checkpoint.Checkpoint, minTime time.Duration) ([]Result, error) {
	return MeasureWith(label, p, ck, Options{MinTime: minTime})
}

// MeasureWith times every op of p (a fresh, un-Init'ed provider) at the
// shapes of ck, each for at least opt.MinTime, telling opt.Progress after
// each of the MeasureSteps() steps. Ops p does not support are left out
// of the results (and reported to Progress as skipped).
func MeasureWith(label string, p kernels.Provider, ck *checkpoint.Checkpoint, opt Options) ([]Result, error) {
	return measure(label, p, ck, opt.MinTime, &stepper{progress: opt.Progress, total: MeasureSteps()})
}

// MeasureAll is MeasureWith for each provider in turn, each made fresh by
// its New, with one Progress over all of them: total is
// len(ps)*MeasureSteps(). It stops at the first error.
func MeasureAll(ps []Named, ck *checkpoint.Checkpoint, opt Options) ([]Result, error) {
	st := &stepper{progress: opt.Progress, total: len(ps) * MeasureSteps()}
	var all []Result
	for _, n := range ps {
		p, err := n.New()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n.Label, err)
		}
		res, err := measure(n.Label, p, ck, opt.MinTime, st)
		if err != nil {
			return nil, err
		}
		all = append(all, res...)
	}
	return all, nil
}

func measure(label string, p kernels.Provider, ck *checkpoint.Checkpoint, minTime time.Duration, st *stepper) ([]Result, error) {
	c := ck.Config
	shape := model.Shape(c)
	if err := p.Init(shape); err != nil {
		return nil, fmt.Errorf("%s: init: %w", label, err)
	}
	defer p.Close()
	kvDim := c.KVDim()
	var benches []bench
	w := &ck.Weights
	matrices := [measureMatrices]struct {
		name       string
		rows, cols int
		data       []float32
	}{
		{"wq", c.Dim, c.Dim, w.WQ[0].F32},
		{"wk", kvDim, c.Dim, w.WK[0].F32},
		{"w1", c.HiddenDim, c.Dim, w.W1[0].F32},
		{"w2", c.Dim, c.HiddenDim, w.W2[0].F32},
		{"classifier", c.VocabSize, c.Dim, w.Classifier.F32},
	}
	for _, m := range matrices {
		name := fmt.Sprintf("%d×%d %s", m.rows, m.cols, m.name)
		q := kernels.Query{Op: kernels.MatMul, DType: kernels.F32, Model: shape, Rows: m.rows, Cols: m.cols}
		if sup := p.Supports(q); !sup.OK {
			benches = append(benches, bench{op: kernels.MatMul, name: name, skip: skipReason(sup)})
			continue
		}
		h, err := p.Prepare(kernels.Tensor{Name: m.name, DType: kernels.F32, Rows: m.rows, Cols: m.cols, F32: m.data})
		if err != nil {
			return nil, fmt.Errorf("%s: prepare %s: %w", label, m.name, err)
		}
		x, out := filled(m.cols), make([]float32, m.rows)
		rows, cols, tensor := m.rows, m.cols, m.name
		benches = append(benches, bench{op: kernels.MatMul, name: name,
			flops: 2 * float64(m.rows*m.cols), bytes: 4 * float64(m.rows*m.cols+m.rows+m.cols),
			call: func() error { return p.MatMul(out, h, x) },
			fill: func(r *Result) {
				r.DType, r.Tensor, r.Rows, r.Cols = kernels.F32.String(), tensor, rows, cols
				r.WeightBytes = 4 * float64(rows*cols)
			}})
	}
	norm, err := p.Prepare(kernels.Tensor{Name: "rms", DType: kernels.F32, Rows: 1, Cols: c.Dim, F32: w.RMSFinal.F32})
	if err != nil {
		return nil, fmt.Errorf("%s: prepare rmsnorm weight: %w", label, err)
	}
	x, out := filled(c.Dim), make([]float32, c.Dim)
	benches = append(benches, bench{op: kernels.RMSNorm, name: fmt.Sprintf("%d", c.Dim), flops: 4 * float64(c.Dim), bytes: 12 * float64(c.Dim),
		call: func() error { return p.RMSNorm(out, x, norm) },
		fill: func(r *Result) { r.DType = kernels.F32.String() }})
	q, k := filled(c.Dim), filled(kvDim)
	benches = append(benches, bench{op: kernels.RoPE, name: fmt.Sprintf("%d+%d pos %d", c.Dim, kvDim, c.SeqLen/2), flops: 6 * float64(c.Dim+kvDim), bytes: 8 * float64(c.Dim+kvDim),
		call: func() error { return p.RoPE(q, k, c.SeqLen/2) }})
	keys, values := filled(c.SeqLen*kvDim), filled(c.SeqLen*kvDim)
	pos := c.SeqLen - 1
	attOut := make([]float32, c.Dim)
	benches = append(benches, bench{op: kernels.Attention, name: fmt.Sprintf("%d heads pos %d", c.Heads, pos),
		flops: 4 * float64(c.Heads*(pos+1)*c.HeadSize()), bytes: 4 * float64(2*(pos+1)*kvDim+2*c.Dim),
		call: func() error { return p.Attention(attOut, q, keys, values, pos) }})
	gate, up := filled(c.HiddenDim), filled(c.HiddenDim)
	benches = append(benches, bench{op: kernels.SwiGLU, name: fmt.Sprintf("%d", c.HiddenDim), flops: 5 * float64(c.HiddenDim), bytes: 12 * float64(c.HiddenDim),
		call: func() error { return p.SwiGLU(gate, up) }})
	logits := filled(c.VocabSize)
	benches = append(benches, bench{op: kernels.Softmax, name: fmt.Sprintf("%d", c.VocabSize), flops: 4 * float64(c.VocabSize), bytes: 12 * float64(c.VocabSize),
		call: func() error { return p.Softmax(logits) }})

	var results []Result
	for _, b := range benches {
		what := fmt.Sprintf("%s %s %s", label, b.op, b.name)
		if b.skip == "" && b.op != kernels.MatMul {
			if sup := p.Supports(kernels.Query{Op: b.op, DType: kernels.F32, Model: shape}); !sup.OK {
				b.skip = skipReason(sup)
			}
		}
		if b.skip != "" {
			st.step(what + " (skipped: " + b.skip + ")")
			continue
		}
		r, err := time1(label, b, minTime)
		if err != nil {
			return nil, err
		}
		if b.fill != nil {
			b.fill(&r)
		}
		results = append(results, r)
		st.step(what)
	}
	return results, nil
}

// time1 calls b at least three times and for at least minTime, after one
// untimed call (which pages in and caches what it touches).
func time1(label string, b bench, minTime time.Duration) (Result, error) {
	if err := b.call(); err != nil {
		return Result{}, fmt.Errorf("%s: %s %s: %w", label, b.op, b.name, err)
	}
	calls, elapsed := 0, time.Duration(0)
	start := time.Now()
	for calls < 3 || elapsed < minTime {
		if err := b.call(); err != nil {
			return Result{}, fmt.Errorf("%s: %s %s: %w", label, b.op, b.name, err)
		}
		calls++
		elapsed = time.Since(start)
	}
	sec := elapsed.Seconds() / float64(calls)
	return Result{Provider: label, Op: b.op, Case: b.name, Calls: calls,
		PerCall: time.Duration(sec * 1e9), GFLOPs: b.flops / sec / 1e9, GBs: b.bytes / sec / 1e9,
		FLOPs: b.flops, Bytes: b.bytes, Seconds: sec}, nil
}

// skipReason is why a step is skipped: the provider's reason, or
// "unsupported" when it gives none.
func skipReason(s kernels.Support) string {
	if s.Reason == "" {
		return "unsupported"
	}
	return "unsupported: " + s.Reason
}

// filled returns n small deterministic values (softmax and attention inputs
// must not overflow).
func filled(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i%17-8) / 16
	}
	return v
}

// Write prints results as a table (internal/table's style) no wider than
// table.DefaultWidth (120) columns.
func Write(w io.Writer, results []Result) error {
	return WriteWidth(w, results, table.DefaultWidth)
}

// WriteWidth prints results as a table no wider than width columns (no
// limit when width <= 0): a terminal's width, say. When the rows are
// wider, the widest columns' cells wrap (see table.T.Fit).
func WriteWidth(w io.Writer, results []Result, width int) error {
	t := table.New("PROVIDER", "OP", "DTYPE", "SHAPE", "µs/call", "GFLOP/s", "GB/s").AlignRight(4, 5, 6).Fit(width)
	for _, r := range results {
		dt := r.DType
		if dt == "" {
			dt = "-"
		}
		t.Row(r.Provider, string(r.Op), dt, r.Case, fmt.Sprintf("%.2f", float64(r.PerCall.Nanoseconds())/1e3),
			fmt.Sprintf("%.2f", r.GFLOPs), fmt.Sprintf("%.2f", r.GBs))
	}
	if err := t.Render(w); err != nil {
		return fmt.Errorf("ops: writing table: %w", err)
	}
	return nil
}
