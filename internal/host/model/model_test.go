package model_test

import (
	"encoding/binary"
	"math"
	"os"
	"testing"

	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/internal/host/dispatch"
	"github.com/retrollama/retrollama/internal/host/model"
	"github.com/retrollama/retrollama/internal/host/synthetic"
	"github.com/retrollama/retrollama/internal/kernels/unrolled"
	"github.com/retrollama/retrollama/internal/testdata"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

func newScalar(tb testing.TB, ck *checkpoint.Checkpoint) *model.Transformer {
	return newOn(tb, ck, scalar.New())
}

func newOn(tb testing.TB, ck *checkpoint.Checkpoint, p kernels.Provider) *model.Transformer {
	tb.Helper()
	ops, err := dispatch.New(dispatch.Uniform(p, p.Name()), model.Shape(ck.Config))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ops.Close() })
	m, err := model.New(ck, ops)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// TestGreedyLogits is acceptance 2 of the engine: the logits of stories260K
// at each of llama2.c's 64 greedy steps, within 1e-5.
func TestGreedyLogits(t *testing.T) {
	golden, err := os.ReadFile(testdata.Path(t, "golden", "s260_greedy_logits64.bin"))
	if err != nil {
		t.Fatal(err)
	}
	ck, err := checkpoint.Open(testdata.Path(t, "models", "stories260K.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	m := newScalar(t, ck)

	vocab := int(int32(binary.LittleEndian.Uint32(golden[0:])))
	steps := int(int32(binary.LittleEndian.Uint32(golden[4:])))
	if vocab != ck.Config.VocabSize || steps != 64 || len(golden) != 8+steps*(4+4*vocab) {
		t.Fatalf("golden header: vocab %d steps %d size %d", vocab, steps, len(golden))
	}
	tolerance := 1e-5
	var worst float64
	for pos := range steps {
		rec := golden[8+pos*(4+4*vocab):]
		token := int(int32(binary.LittleEndian.Uint32(rec)))
		logits, err := m.Forward(token, pos)
		if err != nil {
			t.Fatal(err)
		}
		for i := range vocab {
			want := math.Float32frombits(binary.LittleEndian.Uint32(rec[4+4*i:]))
			d := math.Abs(float64(logits[i] - want))
			if !(d <= tolerance) { // also catches NaN
				t.Fatalf("step %d (token %d): logit %d = %g, llama2.c %g (|diff| %g > %g)", pos, token, i, logits[i], want, d, tolerance)
			}
			worst = max(worst, d)
		}
	}
	t.Logf("max |logit diff| over %d steps: %g", steps, worst)
}

// TestForwardRejectsBadArguments: out-of-range tokens and positions are
// errors, not panics.
func TestForwardRejectsBadArguments(t *testing.T) {
	ck, err := synthetic.Model("stories260K")
	if err != nil {
		t.Fatal(err)
	}
	m := newScalar(t, ck)
	for _, tc := range []struct{ token, pos int }{{-1, 0}, {512, 0}, {1, -1}, {1, 512}} {
		if _, err := m.Forward(tc.token, tc.pos); err == nil {
			t.Errorf("Forward(%d, %d): no error", tc.token, tc.pos)
		}
	}
}

// TestForwardDoesNotAllocate: the per-token path allocates nothing.
func TestForwardDoesNotAllocate(t *testing.T) {
	ck, err := synthetic.Model("stories260K")
	if err != nil {
		t.Fatal(err)
	}
	m := newScalar(t, ck)
	pos := 0
	allocs := testing.AllocsPerRun(20, func() {
		if _, err := m.Forward(pos%500+3, pos); err != nil {
			t.Fatal(err)
		}
		pos++
	})
	if allocs != 0 {
		t.Errorf("Forward allocates %v times per token, want 0", allocs)
	}
}

func benchmarkForward(b *testing.B, shape string, p kernels.Provider) {
	ck, err := synthetic.Model(shape)
	if err != nil {
		b.Fatal(err)
	}
	m := newOn(b, ck, p)
	seq := ck.Config.SeqLen
	b.ReportAllocs()
	b.ResetTimer()
	pos := 0
	for b.Loop() {
		if _, err := m.Forward(pos%300+3, pos%seq); err != nil {
			b.Fatal(err)
		}
		pos++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tok/s")
}

// BenchmarkForward measures tokens/s per provider (mixed positions across
// the context; unroll8 on one thread, so the ratio is the kernels', not
// the cores'), and guards 0 allocs/op.
func BenchmarkForward(b *testing.B) {
	for _, shape := range []string{"stories260K", "stories15M"} {
		b.Run(shape+"/scalar", func(b *testing.B) { benchmarkForward(b, shape, scalar.New()) })
		b.Run(shape+"/unroll8", func(b *testing.B) { benchmarkForward(b, shape, unrolled.New(8, 1)) })
	}
}
