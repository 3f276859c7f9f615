package conformance_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/conformance"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// TestOneULPFailsExactPassesNMSE: one value of one matmul output off by
// one ulp fails every matmul call in exact mode, naming the value's
// index and both values' bits, and passes NMSE mode; other ops pass in
// both.
func TestOneULPFailsExactPassesNMSE(t *testing.T) {
	f := func() kernels.Provider { return oneULP{scalar.New()} }
	for _, mode := range []conformance.Mode{conformance.Exact, conformance.NMSE} {
		t.Run(mode.String(), func(t *testing.T) {
			results := conformance.Run("one-ulp", f, conformance.Options{Cases: smallCases(), Mode: mode})
			matmuls := 0
			for _, r := range results {
				if r.Mode != mode {
					t.Errorf("result says mode %v: %s", r.Mode, r)
				}
				if r.Op != kernels.MatMul || mode == conformance.NMSE {
					if !r.Passed() {
						t.Errorf("should pass: %s", r)
					}
					continue
				}
				matmuls++
				m := r.Mismatch
				if r.Passed() || m == nil {
					t.Errorf("not caught: %s", r)
					continue
				}
				got, want := math.Float32frombits(m.Got), math.Float32frombits(m.Want)
				if m.Output != "out" || m.Count != 1 || math.Nextafter32(want, float32(math.Inf(1))) != got {
					t.Errorf("mismatch %+v, want one value of out one ulp up", *m)
				}
				for _, s := range []string{"one-ulp", "matmul", r.Case, "not bit-identical", fmt.Sprintf("out[%d]", m.Index), fmt.Sprintf("0x%08x", m.Got), fmt.Sprintf("0x%08x", m.Want), "(1 ulp)"} {
					if !strings.Contains(r.Failure, s) {
						t.Errorf("message %q lacks %q", r.Failure, s)
					}
				}
			}
			if mode == conformance.Exact && matmuls == 0 {
				t.Fatal("no matmul call ran")
			}
			t.Logf("e.g. %s", results[firstOf(results, kernels.MatMul, false)])
		})
	}
}

// TestSignedZeroIsABitDifference: -0 where the reference has +0 fails
// exact mode (as run.c's +0.0f start of a sum of -0 terms would show)
// and passes NMSE mode. The suite's rmsnorm inputs never give a zero, so
// a custom case does: weights of zero in its first half.
func TestSignedZeroIsABitDifference(t *testing.T) {
	calls := []conformance.Call{{
		Op: kernels.RMSNorm, Case: "zero weights",
		Weight: kernels.Tensor{Name: "rms", DType: kernels.F32, Rows: 1, Cols: 4, F32: []float32{0, 0, 1, 1}},
		X:      []float32{1, 2, 3, 4},
	}}
	shape := kernels.Shape{Dim: 4, HiddenDim: 4, Heads: 1, KVHeads: 1, SeqLen: 1, VocabSize: 4}
	f := func() kernels.Provider { return negZero{scalar.New()} }
	exact := conformance.Replay("neg-zero", f, shape, calls, conformance.Options{})[0]
	if exact.Passed() || exact.Mismatch == nil || exact.Mismatch.Got != 0x80000000 || exact.Mismatch.Want != 0 || exact.Mismatch.Count != 2 {
		t.Errorf("exact: want -0 for +0 caught at out[0], 2 of 4 values: %s", exact)
	}
	if nmse := conformance.Replay("neg-zero", f, shape, calls, conformance.Options{Mode: conformance.NMSE})[0]; !nmse.Passed() {
		t.Errorf("nmse: %s", nmse)
	}
	t.Log(exact)
}

// TestNaNMatchesNaN: where the reference's output is NaN, any NaN
// passes exact mode, whatever its payload or sign; a number there fails,
// as does a NaN where the reference has a number.
func TestNaNMatchesNaN(t *testing.T) {
	nan := float32(math.NaN())
	otherNaN := math.Float32frombits(0xFFC0_0001) // negative, another payload
	shape := kernels.Shape{Dim: 2, HiddenDim: 2, Heads: 1, KVHeads: 1, SeqLen: 1, VocabSize: 2}
	// The scalar reference gives NaN, silu(1); Want is what it is held to.
	call := func(want0, want1 float32) conformance.Call {
		return conformance.Call{Op: kernels.SwiGLU, Case: "recorded NaN", Gate: []float32{nan, 1}, Up: []float32{1, 1},
			Want: [][]float32{{want0, want1}}}
	}
	silu1 := scalarSiLU(1)
	for _, tt := range []struct {
		name         string
		want0, want1 float32 // the recorded reference outputs
		pass         bool
	}{
		{"same NaN", nan, silu1, true},
		{"other NaN payload", otherNaN, silu1, true},
		{"NaN where the reference has a number", 0, silu1, false},
		{"number where the reference has NaN", nan, nan, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := conformance.Replay("scalar", newScalar, shape, []conformance.Call{call(tt.want0, tt.want1)}, conformance.Options{})[0]
			if r.Passed() != tt.pass {
				t.Errorf("passed %v, want %v: %s", r.Passed(), tt.pass, r)
			}
		})
	}
}

// scalarSiLU is the reference's SwiGLU of gate v and up 1.
func scalarSiLU(v float32) float32 {
	g := []float32{v}
	if err := scalar.New().SwiGLU(g, []float32{1}); err != nil {
		panic(err)
	}
	return g[0]
}

// TestUnknownModeFails: a Mode that is neither Exact nor NMSE is one
// failed result, not a silent choice.
func TestUnknownModeFails(t *testing.T) {
	for _, r := range [][]conformance.Result{
		conformance.Run("scalar", newScalar, conformance.Options{Mode: 7}),
		conformance.Replay("scalar", newScalar, kernels.Shape{}, nil, conformance.Options{Mode: 7}),
	} {
		if len(r) != 1 || r[0].Passed() || !strings.Contains(r[0].Failure, "unknown comparison mode") {
			t.Errorf("want one failure naming the mode, got %v", r)
		}
	}
}
