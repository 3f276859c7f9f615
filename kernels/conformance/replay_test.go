package conformance_test

import (
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/internal/host/forward"
	"github.com/retrollama/retrollama/internal/host/synthetic"
	"github.com/retrollama/retrollama/internal/testdata"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/conformance"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// replaySteps is how many greedy positions the replay tests record.
const replaySteps = 8

// TestRecorderSeesTheForwardPass: eight greedy steps of stories260K
// record every op, the final in-place RMSNorm among them, and replay on
// the reference bit for bit.
func TestRecorderSeesTheForwardPass(t *testing.T) {
	ck := forward.Stories260K(t)
	shape, calls, err := forward.Record(ck, replaySteps, 0)
	if err != nil {
		t.Fatal(err)
	}
	per := map[kernels.Op]int{}
	inPlace := 0
	for _, c := range calls {
		per[c.Op]++
		if c.InPlace {
			inPlace++
		}
	}
	layers := ck.Config.Layers
	want := map[kernels.Op]int{
		kernels.MatMul:    replaySteps * (7*layers + 1),
		kernels.RMSNorm:   replaySteps * (2*layers + 1),
		kernels.RoPE:      replaySteps * layers,
		kernels.Attention: replaySteps * layers,
		kernels.SwiGLU:    replaySteps * layers,
		kernels.Softmax:   replaySteps,
	}
	for op, n := range want {
		if per[op] != n {
			t.Errorf("%s: %d calls recorded, want %d", op, per[op], n)
		}
	}
	if inPlace != replaySteps {
		t.Errorf("%d in-place RMSNorm calls, want %d (the final norm)", inPlace, replaySteps)
	}
	for _, r := range conformance.Replay("scalar", newScalar, shape, calls, conformance.Options{}) {
		if !r.Passed() || r.NMSE != 0 {
			t.Errorf("%s", r)
		}
	}
	t.Logf("%s: %d calls replayed", ck.Path, len(calls))
}

// TestRecorderLimit: maxCalls bounds what is kept (on the synthetic model,
// the fallback when ../shared is absent).
func TestRecorderLimit(t *testing.T) {
	tests := []struct{ max, want int }{{1, 1}, {25, 25}, {0, 8 * (5*12 + 3)}}
	ck, err := synthetic.Model("stories260K")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		_, calls, err := forward.Record(ck, replaySteps, tt.max)
		if err != nil {
			t.Fatal(err)
		}
		if len(calls) != tt.want {
			t.Errorf("maxCalls %d: %d calls, want %d", tt.max, len(calls), tt.want)
		}
	}
}

// TestReplayCatchesBrokenProviders: replay applies the same checks as Run.
func TestReplayCatchesBrokenProviders(t *testing.T) {
	ck := forward.Stories260K(t)
	shape, calls, err := forward.Record(ck, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    conformance.Factory
		op   kernels.Op
		want string
	}{
		{"past-writer", func() kernels.Provider { return pastWriter{scalar.New()} }, kernels.MatMul, "writes past its output buffer out"},
		{"scaler", func() kernels.Provider { return scaler{scalar.New()} }, kernels.MatMul, "not bit-identical"},
		{"rope-panic", func() kernels.Provider { return ropePanic{scalar.New()} }, kernels.RoPE, "panics"},
		{"stale-reader", func() kernels.Provider { return &staleReader{Provider: scalar.New()} }, kernels.Attention, "KV-cache rows past pos"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range conformance.Replay(tt.name, tt.f, shape, calls, conformance.Options{}) {
				switch {
				case r.Op != tt.op && !r.Passed():
					t.Errorf("other op affected: %s", r)
				case r.Op == tt.op && (r.Passed() || !strings.Contains(r.Failure, tt.want) || !strings.Contains(r.Failure, r.Case)):
					t.Errorf("want a failure naming %q and the case, got %s", tt.want, r)
				}
			}
		})
	}
}

// TestReplayRejectsInconsistentCalls: a recorded call whose sizes do not
// fit the shape is a clear failure, not a panic.
func TestReplayRejectsInconsistentCalls(t *testing.T) {
	shape := kernels.Shape{Dim: 8, HiddenDim: 16, Heads: 2, KVHeads: 2, SeqLen: 8, VocabSize: 16}
	w := kernels.Tensor{Name: "w", DType: kernels.F32, Rows: 2, Cols: 4, F32: make([]float32, 8)}
	tests := []struct {
		name string
		call conformance.Call
		want string
	}{
		{"short x", conformance.Call{Op: kernels.MatMul, Weight: w, X: make([]float32, 3)}, "3 values for 4 columns"},
		{"bad tensor", conformance.Call{Op: kernels.MatMul, Weight: kernels.Tensor{Name: "w", DType: kernels.F32, Rows: 2, Cols: 4}, X: make([]float32, 4)}, "weight \"w\""},
		{"pos past seq", conformance.Call{Op: kernels.Attention, Q: make([]float32, 8), Pos: 8}, "at pos 8"},
		{"want count", conformance.Call{Op: kernels.RoPE, Q: make([]float32, 8), K: make([]float32, 8), Want: [][]float32{make([]float32, 8)}}, "1 recorded outputs for 2"},
		{"unknown op", conformance.Call{Op: "gelu"}, `unknown op "gelu"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.call.Case = tt.name
			r := conformance.Replay("scalar", newScalar, shape, []conformance.Call{tt.call}, conformance.Options{})[0]
			if r.Passed() || !strings.Contains(r.Failure, tt.want) {
				t.Errorf("want a failure with %q, got %s", tt.want, r)
			}
		})
	}
}

// TestReplayAfterCloseDoesNotCrash: replaying calls whose memory-mapped
// weights were unmapped fails those calls instead of killing the process:
// a read faults (recovered) or finds other memory the heap has since
// mapped there (wrong numbers); either way the result is a failure.
func TestReplayAfterCloseDoesNotCrash(t *testing.T) {
	ck, err := checkpoint.Open(testdata.Path(t, "models", "stories260K.bin"))
	if err != nil {
		t.Fatal(err)
	}
	shape, calls, err := forward.Record(ck, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := ck.Close(); err != nil {
		t.Fatal(err)
	}
	faults, failed := 0, 0
	for _, r := range conformance.Replay("scalar", newScalar, shape, calls, conformance.Options{}) {
		if !r.Passed() {
			failed++
		}
		if strings.Contains(r.Failure, "is its checkpoint closed?") {
			faults++
		}
	}
	if failed == 0 {
		t.Skip("the checkpoint was not memory-mapped here")
	}
	t.Logf("%d of %d calls failed, %d of them on a recovered fault", failed, len(calls), faults)
}
