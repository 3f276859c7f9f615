package checkpoint

import (
	"bytes"
	"math"
	"testing"

	"github.com/retrollama/retrollama/kernels"
)

// tinyGQA is a small shape with grouped-query attention (4 query heads
// sharing 2 key/value heads) used across the tests.
var tinyGQA = Config{Dim: 16, HiddenDim: 24, Layers: 2, Heads: 4, KVHeads: 2, VocabSize: 11, SeqLen: 8}

// synth builds a synthetic checkpoint of cfg, giving it a distinct random
// classifier when shared is false.
func synth(tb testing.TB, cfg Config, shared bool) *Checkpoint {
	tb.Helper()
	ck, err := SyntheticFromConfig(cfg, 7)
	if err != nil {
		tb.Fatalf("SyntheticFromConfig(%v): %v", cfg, err)
	}
	if !shared {
		cls := make([]float32, cfg.VocabSize*cfg.Dim)
		newRNG(99).fill(cls, 0, 0.5)
		ck.Weights.Classifier = kernels.Tensor{Name: "classifier", DType: kernels.F32, Rows: cfg.VocabSize, Cols: cfg.Dim, F32: cls}
		ck.SharedClassifier = false
	}
	return ck
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
