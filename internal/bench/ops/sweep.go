package ops

import (
	"fmt"
	"strings"
	"time"

	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/internal/host/model"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// SweepModels returns the model shapes "bench ops --sweep" measures by
// default: karpathy's tinyllamas, smallest first. Every other shape of
// checkpoint.Shapes (tinyllama-1.1B, llama2-7B) can be asked for by name;
// they are left out of the default because their matrices take seconds
// to set up and hundreds of MB each (llama2-7B's classifier is 524 MB in
// f32), while the tinyllamas already span cache-resident to
// bandwidth-bound.
func SweepModels() []string {
	return checkpoint.ShapesOf(kernels.FamilyTinyllamas)
}

// MatMulCase is one matmul shape of a model.
type MatMulCase struct {
	Name       string // its role: wq, wk, w1, w2, classifier
	Rows, Cols int
}

// MatMulCases returns the distinct matmul shapes of a model: the
// attention projections (wk only where grouped-query attention makes it
// narrower than wq), the feed-forward in and out, and the classifier.
func MatMulCases(c checkpoint.Config) []MatMulCase {
	cases := []MatMulCase{{"wq", c.Dim, c.Dim}}
	if kv := c.KVDim(); kv != c.Dim {
		cases = append(cases, MatMulCase{"wk", kv, c.Dim})
	}
	return append(cases,
		MatMulCase{"w1", c.HiddenDim, c.Dim},
		MatMulCase{"w2", c.Dim, c.HiddenDim},
		MatMulCase{"classifier", c.VocabSize, c.Dim})
}

// Q8GroupSize is the Q8_0 group size the sweep uses for a model: runq.c's
// export default 64, halved until it divides both input widths (4 for
// stories260K's hidden_dim 172).
func Q8GroupSize(c checkpoint.Config) int {
	gs := 64
	for gs > 1 && c.CheckGroupSize(gs) != nil {
		gs /= 2
	}
	return gs
}

// Sweep times the matmul of providers made by newProvider (one fresh
// provider per model, Init'ed with the model's shape) at every shape of
// MatMulCases for each named model and each dtype it supports, each for
// at least minTime. A shape is timed alone, its weights hot in the
// caches where they fit (the small models' matrices do; a classifier of
// 32000 rows does not), as ggml's test-backend-ops does: GB/s near the
// machine's memory bandwidth means bandwidth-bound, GFLOP/s far below
// it compute-bound. Weights are deterministic, not a checkpoint's.
// It is SweepWith without progress.
func Sweep(label string, newProvider func() (kernels.Provider, error), models []string, dtypes []kernels.DType, minTime time.Duration) ([]Result, error) {
	return SweepWith(label, newProvider, models, dtypes, Options{MinTime: minTime})
}

// SweepSteps is the number of progress steps SweepWith takes for one
// provider: one per model, matmul shape (MatMulCases) and dtype, whether
// the provider supports it or not. It fails on an unknown model name, as
// SweepWith would, before anything is measured.
func SweepSteps(models []string, dtypes []kernels.DType) (int, error) {
	n := 0
	for _, name := range models {
		c, ok := checkpoint.ShapeOf(name)
		if !ok {
			return 0, fmt.Errorf("unknown model shape %q (known: %s)", name, strings.Join(checkpoint.KnownShapes(), ", "))
		}
		n += len(MatMulCases(c)) * len(dtypes)
	}
	return n, nil
}

// SweepWith is Sweep with options: each case is timed for at least
// opt.MinTime and opt.Progress is told after each of the
// SweepSteps(models, dtypes) steps. Every model name is checked before
// anything is measured.
func SweepWith(label string, newProvider func() (kernels.Provider, error), models []string, dtypes []kernels.DType, opt Options) ([]Result, error) {
	return SweepAll([]Named{{Label: label, New: newProvider}}, models, dtypes, opt)
}

// SweepAll is SweepWith for each provider in turn, with one Progress over
// all of them: total is len(ps)*SweepSteps(models, dtypes). The results
// are in provider order, then as SweepWith orders them. It stops at the
// first error.
func SweepAll(ps []Named, models []string, dtypes []kernels.DType, opt Options) ([]Result, error) {
	n, err := SweepSteps(models, dtypes)
	if err != nil {
		return nil, err
	}
	st := &stepper{progress: opt.Progress, total: len(ps) * n}
	var results []Result
	for _, p := range ps {
		for _, name := range models {
			c, _ := checkpoint.ShapeOf(name) // checked by SweepSteps
			res, err := sweepModel(p.Label, p.New, name, c, dtypes, opt.MinTime, st)
			if err != nil {
				return nil, err
			}
			results = append(results, res...)
		}
	}
	return results, nil
}

func sweepModel(label string, newProvider func() (kernels.Provider, error), name string, c checkpoint.Config, dtypes []kernels.DType, minTime time.Duration, st *stepper) ([]Result, error) {
	p, err := newProvider()
	if err != nil {
		return nil, err
	}
	shape := model.Shape(c)
	if err := p.Init(shape); err != nil {
		return nil, fmt.Errorf("%s: init for %s: %w", label, name, err)
	}
	defer p.Close()
	gs := Q8GroupSize(c)
	var results []Result
	for _, m := range MatMulCases(c) {
		for _, dt := range dtypes {
			caseName := fmt.Sprintf("%s %d×%d %s", name, m.Rows, m.Cols, m.Name)
			what := fmt.Sprintf("%s %s %s", label, caseName, dt)
			q := kernels.Query{Op: kernels.MatMul, DType: dt, Model: shape, Rows: m.Rows, Cols: m.Cols}
			if dt == kernels.Q8_0 {
				q.GroupSize = gs
			}
			if sup := p.Supports(q); !sup.OK {
				st.step(what + " (skipped: " + skipReason(sup) + ")")
				continue
			}
			t, bytes := sweepTensor(m, dt, gs)
			h, err := p.Prepare(t)
			if err != nil {
				return nil, fmt.Errorf("%s: prepare %s %s: %w", label, name, t.Name, err)
			}
			x, out := filled(m.Cols), make([]float32, m.Rows)
			b := bench{op: kernels.MatMul, name: caseName,
				flops: 2 * float64(m.Rows*m.Cols), bytes: bytes + 4*float64(m.Rows+m.Cols),
				call: func() error { return p.MatMul(out, h, x) }}
			r, err := time1(label, b, minTime)
			if err != nil {
				return nil, err
			}
			r.DType, r.Model, r.Tensor, r.Rows, r.Cols, r.WeightBytes = dt.String(), name, m.Name, m.Rows, m.Cols, bytes
			if dt == kernels.Q8_0 {
				r.GroupSize = gs
			}
			results = append(results, r)
			st.step(what)
		}
	}
	return results, nil
}

// sweepTensor returns a deterministic weight tensor of the case's shape
// and dtype, and the bytes a matmul reads of it.
func sweepTensor(m MatMulCase, dt kernels.DType, gs int) (kernels.Tensor, float64) {
	w := filled(m.Rows * m.Cols)
	t := kernels.Tensor{Name: m.Name, DType: dt, Rows: m.Rows, Cols: m.Cols}
	if dt == kernels.Q8_0 {
		t.Q8, t.Scales, t.GroupSize = make([]int8, len(w)), make([]float32, len(w)/gs), gs
		scalar.Quantize(t.Q8, t.Scales, w, gs)
		return t, float64(len(t.Q8) + 4*len(t.Scales))
	}
	t.F32 = w
	return t, 4 * float64(len(w))
}
