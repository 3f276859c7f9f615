package checkpoint

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/retrollama/retrollama/kernels"
)

// tinyGQA is a small shape with grouped-query attention (4 query heads
// sharing 2 key/value heads) used across the tests.
var tinyGQA = Config{Dim: 16, HiddenDim: 24, Layers: 2, Heads: 4, KVHeads: 2, VocabSize: 11, SeqLen: 8}

// synth builds a checkpoint of cfg with random weights (uniform in
// ±0.5, from a generator seeded alike every time) in one backing store,
// with its own classifier unless shared; package synthetic, which builds
// the project's synthetic models, imports this one.
func synth(tb testing.TB, cfg Config, shared bool) *Checkpoint {
	tb.Helper()
	n, err := WeightBytes(cfg, FormatV1, shared, GroupSizes{})
	if err != nil {
		tb.Fatalf("synth(%v): %v", cfg, err)
	}
	store := make([]float32, n/4)
	r := rand.New(rand.NewPCG(7, uint64(len(store))))
	for i := range store {
		store[i] = r.Float32() - 0.5
	}
	return &Checkpoint{Path: "random", Format: FormatV1, Config: cfg, SharedClassifier: shared,
		Weights: Assemble(cfg, FormatV1, shared, GroupSizes{}, FloatSource(store))}
}

// encode writes ck's weights in format f.
func encode(tb testing.TB, f Format, ck *Checkpoint) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, f, ck.Config, ck.SharedClassifier, &ck.Weights); err != nil {
		tb.Fatalf("Write(%v): %v", f, err)
	}
	return buf.Bytes()
}

// tensorList flattens Weights into named tensors for comparison.
func tensorList(w *Weights) map[string][]kernels.Tensor {
	return map[string][]kernels.Tensor{
		"token_embedding": {w.TokenEmbedding}, "rms_att": w.RMSAtt, "wq": w.WQ,
		"wk": w.WK, "wv": w.WV, "wo": w.WO, "rms_ffn": w.RMSFFN, "w1": w.W1,
		"w2": w.W2, "w3": w.W3, "rms_final": {w.RMSFinal}, "classifier": {w.Classifier},
	}
}

// floatList is tensorList's float32 values (fp32 weights).
func floatList(w *Weights) map[string][][]float32 {
	out := map[string][][]float32{}
	for name, ts := range tensorList(w) {
		for _, t := range ts {
			out[name] = append(out[name], t.F32)
		}
	}
	return out
}

// sameWeights fails the test unless a and b are bitwise identical.
func sameWeights(tb testing.TB, a, b *Weights) {
	tb.Helper()
	ta, tb2 := floatList(a), floatList(b)
	for name, xs := range ta {
		ys := tb2[name]
		if len(xs) != len(ys) {
			tb.Fatalf("%s: %d layers vs %d", name, len(xs), len(ys))
		}
		for l := range xs {
			if len(xs[l]) != len(ys[l]) {
				tb.Fatalf("%s[%d]: %d floats vs %d", name, l, len(xs[l]), len(ys[l]))
			}
			for i := range xs[l] {
				if math.Float32bits(xs[l][i]) != math.Float32bits(ys[l][i]) {
					tb.Fatalf("%s[%d][%d]: %v vs %v", name, l, i, xs[l][i], ys[l][i])
				}
			}
		}
	}
}

// checkShape fails unless every tensor in w has the length cfg implies
// and the classifier aliases the embedding exactly when shared.
func checkShape(tb testing.TB, cfg Config, shared bool, w *Weights) {
	tb.Helper()
	d, h, kv, l, v := cfg.Dim, cfg.HiddenDim, cfg.KVDim(), cfg.Layers, cfg.VocabSize
	want := map[string]int{
		"token_embedding": v * d, "rms_att": d, "wq": d * d, "wk": kv * d, "wv": kv * d,
		"wo": d * d, "rms_ffn": d, "w1": h * d, "w2": d * h, "w3": h * d, "rms_final": d,
		"classifier": v * d,
	}
	for name, ts := range floatList(w) {
		layers := l
		if name == "token_embedding" || name == "rms_final" || name == "classifier" {
			layers = 1
		}
		if len(ts) != layers {
			tb.Fatalf("%s: %d layers, want %d", name, len(ts), layers)
		}
		for i, t := range ts {
			if len(t) != want[name] {
				tb.Fatalf("%s[%d]: %d floats, want %d", name, i, len(t), want[name])
			}
		}
	}
	aliased := &w.Classifier.F32[0] == &w.TokenEmbedding.F32[0]
	if aliased != shared {
		tb.Fatalf("classifier aliases token embedding = %v, want %v", aliased, shared)
	}
}
