package synthetic

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unsafe"

	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/kernels"
)

// signQuantizer is a quantizer that makes placement checkable: each
// scale is its group's first value and each value the sign of its weight.
func signQuantizer(dst kernels.Tensor, w []float32) error {
	gs := dst.GroupSize
	for g := range dst.Scales {
		dst.Scales[g] = w[g*gs]
	}
	for i, v := range w {
		switch {
		case v > 0:
			dst.Q8[i] = 1
		case v < 0:
			dst.Q8[i] = -1
		}
	}
	return nil
}

// TestQ8Placement checks, with signQuantizer, that every chunk
// of q8FromConfig lands where FromConfig puts the same
// values, for group sizes that divide the 64Ki-float chunks and ones that
// make groups straddle them; and that the RMS-norm vectors are the fp32
// ones, the token embedding is dequantized, the classifier shared, and the
// stores are one per kind.
func TestQ8Placement(t *testing.T) {
	cfg := checkpoint.Config{Dim: 96, HiddenDim: 288, Layers: 3, Heads: 4, KVHeads: 2, VocabSize: 1500, SeqLen: 8}
	fp, err := FromConfig(cfg, 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, gs := range []int{1, 3, 32, 96} {
		t.Run(fmt.Sprint("gs", gs), func(t *testing.T) {
			ck, err := q8FromConfig(cfg, 5, gs, signQuantizer)
			if err != nil {
				t.Fatal(err)
			}
			if ck.Format != checkpoint.FormatQ8 || ck.GroupSize != gs || !ck.SharedClassifier || ck.Config != cfg ||
				ck.Path != fmt.Sprintf("%s q8_0 gs=%d", fp.Path, gs) {
				t.Fatalf("got %q format %v gs %d shared %v config %v", ck.Path, ck.Format, ck.GroupSize, ck.SharedClassifier, ck.Config)
			}
			w, q := &fp.Weights, &ck.Weights
			check := func(name string, f []float32, m kernels.Tensor) {
				t.Helper()
				if len(m.Q8) != len(f) || len(m.Scales) != len(f)/gs {
					t.Fatalf("%s: %d values and %d scales for %d floats", name, len(m.Q8), len(m.Scales), len(f))
				}
				for i, v := range f {
					var want int8
					if v > 0 {
						want = 1
					} else if v < 0 {
						want = -1
					}
					if m.Q8[i] != want || i%gs == 0 && m.Scales[i/gs] != v {
						t.Fatalf("%s[%d] = %v: value %d scale %v", name, i, v, m.Q8[i], m.Scales[i/gs])
					}
				}
			}
			check("token_embedding", w.TokenEmbedding.F32, q.TokenEmbedding)
			for l := range cfg.Layers {
				for name, p := range map[string]struct {
					f kernels.Tensor
					m kernels.Tensor
				}{
					"wq": {w.WQ[l], q.WQ[l]}, "wk": {w.WK[l], q.WK[l]}, "wv": {w.WV[l], q.WV[l]},
					"wo": {w.WO[l], q.WO[l]}, "w1": {w.W1[l], q.W1[l]}, "w2": {w.W2[l], q.W2[l]},
					"w3": {w.W3[l], q.W3[l]},
				} {
					check(fmt.Sprintf("layers.%d.%s", l, name), p.f.F32, p.m)
				}
				sameFloats(t, "rms_att", ck.Weights.RMSAtt[l].F32, w.RMSAtt[l].F32)
				sameFloats(t, "rms_ffn", ck.Weights.RMSFFN[l].F32, w.RMSFFN[l].F32)
			}
			sameFloats(t, "rms_final", ck.Weights.RMSFinal.F32, w.RMSFinal.F32)
			row := make([]float32, ck.Config.Dim)
			ck.Embedding(row, 7)
			sameFloats(t, "dequantized token_embedding row 7", row, dequantized(q.TokenEmbedding, 7*ck.Config.Dim, ck.Config.Dim))
			if q.TokenEmbedding.F32 != nil {
				t.Error("the token embedding was dequantized whole; Embedding dequantizes rows")
			}
			if &q.Classifier.Q8[0] != &q.TokenEmbedding.Q8[0] || q.WQ[0].DType != kernels.Q8_0 || q.Classifier.DType != kernels.Q8_0 {
				t.Error("classifier not shared, or fp32 matrices set, unlike a parsed Q8_0 file")
			}
			// One store per kind: consecutive matrices are adjacent.
			wq0, wq1 := q.WQ[0], q.WQ[1]
			if unsafe.Pointer(unsafe.SliceData(wq0.Q8[len(wq0.Q8)-1:])) != unsafe.Add(unsafe.Pointer(unsafe.SliceData(wq1.Q8)), -1) ||
				unsafe.Pointer(unsafe.SliceData(wq0.Scales[len(wq0.Scales)-1:])) != unsafe.Add(unsafe.Pointer(unsafe.SliceData(wq1.Scales)), -4) {
				t.Error("wq[0] and wq[1] are not adjacent in one store")
			}
			if cap(wq0.Q8) != len(wq0.Q8) || cap(wq0.Scales) != len(wq0.Scales) {
				t.Error("a tensor's capacity runs into its neighbour")
			}
		})
	}
}

// sameFloats fails unless a and b hold the same values.
func sameFloats(t *testing.T, name string, a, b []float32) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d floats, want %d", name, len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("%s[%d] = %v, want %v", name, i, a[i], b[i])
		}
	}
}

// TestQ8Rejects checks the errors: unknown names, bad group
// sizes, no quantizer, oversized models, and a failing quantizer, whose
// error must name the tensor (the first in file order, whatever the
// scheduling).
func TestQ8RejectsConfig(t *testing.T) {
	boom := errors.New("boom")
	fail := func(kernels.Tensor, []float32) error { return boom }
	stories260K, _ := checkpoint.ShapeOf("stories260K")
	tests := []struct {
		name string
		do   func() (*checkpoint.Checkpoint, error)
		want string
	}{
		{"unknown", func() (*checkpoint.Checkpoint, error) { return Q8("stories1B", 4) }, `unknown synthetic model "stories1B"`},
		{"group size", func() (*checkpoint.Checkpoint, error) { return Q8("stories260K", 64) }, "group_size = 64 does not divide hidden_dim = 172"},
		{"zero group size", func() (*checkpoint.Checkpoint, error) { return Q8("stories260K", 0) }, "group_size = 0 must be positive"},
		{"no quantizer", func() (*checkpoint.Checkpoint, error) { return q8FromConfig(stories260K, 1, 4, nil) }, "no quantizer"},
		{"bad config", func() (*checkpoint.Checkpoint, error) { return q8FromConfig(checkpoint.Config{}, 0, 4, signQuantizer) }, "dim = 0"},
		{"too big", func() (*checkpoint.Checkpoint, error) {
			return q8FromConfig(checkpoint.Config{Dim: 1 << 16, HiddenDim: 1 << 16, Layers: 64, Heads: 8, KVHeads: 8, VocabSize: 1 << 16, SeqLen: 8}, 0, 64, signQuantizer)
		}, "too large"},
		{"quantizer fails", func() (*checkpoint.Checkpoint, error) { return q8FromConfig(stories260K, 1, 4, fail) }, "quantizing token_embedding (vocab_size × dim): boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ck, err := tt.do()
			if err == nil || ck != nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "checkpoint synthetic:") {
				t.Fatalf("got %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}

// TestQ8Runs checks how chunks are grouped: one run per chunk when the
// group size divides the chunk, else runs that end on group boundaries.
func TestQ8Runs(t *testing.T) {
	spans := []checkpoint.Span{
		{Name: "rms_att", Rows: 1, Cols: 3 * fillChunk, Count: 1},
		{Name: "wq", Rows: 3, Cols: fillChunk, Count: 1, Matrix: true},
	}
	items := chunks(spans)
	if len(items) != 6 {
		t.Fatalf("%d items", len(items))
	}
	for _, tt := range []struct {
		gs   int
		want string
	}{
		{1, "[[0 0] [1 1] [2 2] [3 3] [4 4] [5 5]]"},
		{fillChunk, "[[0 0] [1 1] [2 2] [3 3] [4 4] [5 5]]"},
		{3, "[[0 0] [1 1] [2 2] [3 5]]"},
		{2 * fillChunk, "[[0 0] [1 1] [2 2] [3 4] [5 5]]"},
	} {
		if got := fmt.Sprint(q8Runs(spans, items, tt.gs)); got != tt.want {
			t.Errorf("group size %d: runs %s, want %s", tt.gs, got, tt.want)
		}
	}
}

// dequantized is n values of the Q8_0 tensor q from off, as runq.c
// dequantizes them (checkpoint.DequantizeRange).
func dequantized(q kernels.Tensor, off, n int) []float32 {
	out := make([]float32, n)
	checkpoint.DequantizeRange(out, q, off)
	return out
}
