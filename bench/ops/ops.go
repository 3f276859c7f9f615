// Package ops microbenchmarks each op of a provider at a model's real
// shapes (in the style of ggml's test-backend-ops perf mode): µs per call,
// GFLOP/s and GB/s, so it is visible whether an op is compute- or
// bandwidth-bound.
package ops

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/retrollama/retrollama/host/checkpoint"
	"github.com/retrollama/retrollama/host/model"
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
	GBs      float64 // bytes read and written per second, 1e9
}

// bench is one op call to time, with its work counted.
type bench struct {
	op    kernels.Op
	name  string
	flops float64
	bytes float64
	call  func() error
}

// Measure times every op of p (a fresh, un-Init'ed provider) at the shapes
// of ck, each for at least minTime.
func Measure(label string, p kernels.Provider, ck *checkpoint.Checkpoint, minTime time.Duration) ([]Result, error) {
	c := ck.Config
	shape := model.Shape(c)
	if err := p.Init(shape); err != nil {
		return nil, fmt.Errorf("%s: init: %w", label, err)
	}
	defer p.Close()
	kvDim := c.KVDim()
	var benches []bench
	w := &ck.Weights
	matrices := []struct {
		name       string
		rows, cols int
		data       []float32
	}{
		{"wq", c.Dim, c.Dim, w.WQ[0]},
		{"wk", kvDim, c.Dim, w.WK[0]},
		{"w1", c.HiddenDim, c.Dim, w.W1[0]},
		{"w2", c.Dim, c.HiddenDim, w.W2[0]},
		{"classifier", c.VocabSize, c.Dim, w.Classifier},
	}
	for _, m := range matrices {
		q := kernels.Query{Op: kernels.MatMul, DType: kernels.F32, Model: shape, Rows: m.rows, Cols: m.cols}
		if !p.Supports(q).OK {
			continue
		}
		h, err := p.Prepare(kernels.Tensor{Name: m.name, DType: kernels.F32, Rows: m.rows, Cols: m.cols, F32: m.data})
		if err != nil {
			return nil, fmt.Errorf("%s: prepare %s: %w", label, m.name, err)
		}
		x, out := filled(m.cols), make([]float32, m.rows)
		benches = append(benches, bench{kernels.MatMul, fmt.Sprintf("%d×%d %s", m.rows, m.cols, m.name),
			2 * float64(m.rows*m.cols), 4 * float64(m.rows*m.cols+m.rows+m.cols),
			func() error { return p.MatMul(out, h, x) }})
	}
	norm, err := p.Prepare(kernels.Tensor{Name: "rms", DType: kernels.F32, Rows: 1, Cols: c.Dim, F32: w.RMSFinal})
	if err != nil {
		return nil, fmt.Errorf("%s: prepare rmsnorm weight: %w", label, err)
	}
	x, out := filled(c.Dim), make([]float32, c.Dim)
	benches = append(benches, bench{kernels.RMSNorm, fmt.Sprintf("%d", c.Dim), 4 * float64(c.Dim), 12 * float64(c.Dim),
		func() error { return p.RMSNorm(out, x, norm) }})
	q, k := filled(c.Dim), filled(kvDim)
	benches = append(benches, bench{kernels.RoPE, fmt.Sprintf("%d+%d pos %d", c.Dim, kvDim, c.SeqLen/2), 6 * float64(c.Dim+kvDim), 8 * float64(c.Dim+kvDim),
		func() error { return p.RoPE(q, k, c.SeqLen/2) }})
	keys, values := filled(c.SeqLen*kvDim), filled(c.SeqLen*kvDim)
	pos := c.SeqLen - 1
	attOut := make([]float32, c.Dim)
	benches = append(benches, bench{kernels.Attention, fmt.Sprintf("%d heads pos %d", c.Heads, pos),
		4 * float64(c.Heads*(pos+1)*c.HeadSize()), 4 * float64(2*(pos+1)*kvDim+2*c.Dim),
		func() error { return p.Attention(attOut, q, keys, values, pos) }})
	gate, up := filled(c.HiddenDim), filled(c.HiddenDim)
	benches = append(benches, bench{kernels.SwiGLU, fmt.Sprintf("%d", c.HiddenDim), 5 * float64(c.HiddenDim), 12 * float64(c.HiddenDim),
		func() error { return p.SwiGLU(gate, up) }})
	logits := filled(c.VocabSize)
	benches = append(benches, bench{kernels.Softmax, fmt.Sprintf("%d", c.VocabSize), 4 * float64(c.VocabSize), 12 * float64(c.VocabSize),
		func() error { return p.Softmax(logits) }})

	var results []Result
	for _, b := range benches {
		if !p.Supports(kernels.Query{Op: b.op, DType: kernels.F32, Model: shape}).OK && b.op != kernels.MatMul {
			continue
		}
		r, err := time1(label, b, minTime)
		if err != nil {
			return nil, err
		}
		if b.op == kernels.MatMul || b.op == kernels.RMSNorm {
			r.DType = kernels.F32.String()
		}
		results = append(results, r)
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
		PerCall: time.Duration(sec * 1e9), GFLOPs: b.flops / sec / 1e9, GBs: b.bytes / sec / 1e9}, nil
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

// Write prints results as a table.
func Write(w io.Writer, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "PROVIDER\tOP\tDTYPE\tSHAPE\tµs/call\tGFLOP/s\tGB/s\t\n")
	for _, r := range results {
		dt := r.DType
		if dt == "" {
			dt = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.2f\t%.2f\t%.2f\t\n", r.Provider, r.Op, dt, r.Case, float64(r.PerCall.Nanoseconds())/1e3, r.GFLOPs, r.GBs)
	}
	return tw.Flush()
}
