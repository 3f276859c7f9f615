package conformance

import (
	"math"
	"slices"
	"testing"

	"github.com/retrollama/retrollama/kernels"
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
