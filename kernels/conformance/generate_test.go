package conformance

import (
	"math"
	"slices"
	"testing"

	"github.com/retrollama/retrollama/internal/raceflag"

	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// callsOf returns the calls of the named default case.
func callsOf(t *testing.T, name string, seed uint64) []Call {
	t.Helper()
	for _, c := range DefaultCases() {
		if c.Name == name {
			return slices.Collect(c.calls(seed))
		}
	}
	t.Fatalf("no default case %q", name)
	return nil
}

// TestInputsAreDeterministic: the same seed gives the same inputs, another
// seed other inputs.
func TestInputsAreDeterministic(t *testing.T) {
	a, b, c := callsOf(t, "tiny", 1), callsOf(t, "tiny", 1), callsOf(t, "tiny", 2)
	for i := range a {
		if !slices.Equal(a[i].X, b[i].X) || !slices.Equal(a[i].Q, b[i].Q) {
			t.Errorf("%s %s: inputs differ between runs with the same seed", a[i].Op, a[i].Case)
		}
		if a[i].X != nil && slices.Equal(a[i].X, c[i].X) {
			t.Errorf("%s %s: seed changes nothing", a[i].Op, a[i].Case)
		}
	}
}

// TestAttentionDoesNotSaturate: at every default attention call past the
// first positions, no head puts more than 90% of its weight on one row,
// so the weighted sum of values is really tested.
func TestAttentionDoesNotSaturate(t *testing.T) {
	for _, cs := range DefaultCases() {
		cs.Ops = []kernels.Op{kernels.Attention}
		s := cs.Shape
		hs, kvDim, kvMul := s.HeadSize(), s.KVDim(), s.Heads/s.KVHeads
		for c := range cs.calls(0) {
			if c.Pos < 16 {
				continue
			}
			for h := range s.Heads {
				scores := make([]float64, c.Pos+1)
				off := (h / kvMul) * hs
				for row := range scores {
					for i := range hs {
						scores[row] += float64(c.Q[h*hs+i]) * float64(c.Keys[row*kvDim+off+i])
					}
					scores[row] /= math.Sqrt(float64(hs))
				}
				if p := maxWeight(scores); p > 0.9 {
					t.Errorf("%s head %d: one row takes %.3f of the attention", c.Case, h, p)
				}
			}
		}
	}
}

// maxWeight is the largest softmax probability of scores.
func maxWeight(scores []float64) float64 {
	m := slices.Max(scores)
	var sum float64
	for _, v := range scores {
		sum += math.Exp(v - m)
	}
	return 1 / sum
}

// TestInvalidCaseFails: a custom case that breaks the shape rules is one
// failed result, not a panic.
func TestInvalidCaseFails(t *testing.T) {
	bad := Case{Name: "bad", Shape: kernels.Shape{Dim: 8, HiddenDim: 8, Heads: 2, KVHeads: 2, SeqLen: 4, VocabSize: 8}, Positions: []int{4}}
	r := Run("scalar", nil, Options{Cases: []Case{bad}})
	if len(r) != 1 || r[0].Passed() {
		t.Fatalf("want one failure, got %v", r)
	}
	t.Log(r[0])
}

// TestQ8QuantizationError documents what Q8_0 costs in accuracy, apart
// from any provider check: on every default case with Q8 matmuls (the
// Large one too, but for -short), the NMSE of the scalar reference's Q8_0
// result against its fp32 result on the same weights and x. Measured on
// the suite's uniform inputs: 6e-6 to 1.5e-5 with groups of 2, 1.5e-5 to
// 2.5e-5 with 4, 2.4e-5 to 3.2e-5 with 32 and 64 (rounding to 8 bits
// errs by up to scale/2 on each weight and x value, scale = max|group|/127,
// so larger groups lose more; real weights, with outliers, lose more
// still). Groups of 1 are lossless but for the scale's rounding (NMSE 0
// to 1e-15). A wrong quantization gives far more, a missing one 0.
// Provider results are compared with the scalar Q8_0 result, not this,
// so the fp32 threshold applies to them unchanged (see Thresholds).
func TestQ8QuantizationError(t *testing.T) {
	for _, cs := range (Options{Short: testing.Short() || raceflag.Enabled}).cases() {
		if cs.Q8GroupSize == 0 || !cs.has(kernels.MatMul) {
			continue
		}
		cs.Ops = []kernels.Op{kernels.MatMul}
		var fp32 Call
		for c := range cs.calls(0) {
			if c.Weight.DType == kernels.F32 {
				fp32 = c
				continue
			}
			if !slices.Equal(c.X, fp32.X) || c.Weight.Rows != fp32.Weight.Rows || c.Weight.Cols != fp32.Weight.Cols {
				t.Fatalf("%s: not the fp32 call's weights and x", c.Case)
			}
			want, got := runScalar(t, cs.Shape, fp32), runScalar(t, cs.Shape, c)
			var d diff
			d.add("out", got, want)
			lo, hi := 1e-6, 1e-3
			if cs.Q8GroupSize == 1 {
				lo, hi = 0, 1e-12
			}
			if e := d.nmse(); !(e >= lo && e < hi) {
				t.Errorf("%s: NMSE against fp32 %.2g, outside [%.0e, %.0e)", c.Case, e, lo, hi)
			} else {
				t.Logf("%-40s NMSE against fp32 %.2g", c.Case, e)
			}
		}
	}
}

// runScalar returns the scalar reference's output for a MatMul call.
func runScalar(t *testing.T, s kernels.Shape, c Call) []float32 {
	t.Helper()
	p, err := newPlan(c, s, newRNG(0, c.Case))
	if err != nil {
		t.Fatal(err)
	}
	e := execute(scalar.New(), s, p, false)
	if e.err != nil {
		t.Fatalf("%s: %v", c.Case, e.err)
	}
	return e.outputs(p)[0]
}
