package checkpoint

import (
	"bytes"
	"math"
	"testing"

	"github.com/retrollama/retrollama/kernels"
)

// q8Model is a Q8_0 model for tests: float32 RMS-norm vectors and random
// quantized matrices (values in [-127, 127], positive scales).
type q8Model struct {
	cfg       Config
	shared    bool
	groupSize int
	w         *Weights // F32 RMS-norm vectors, Q8_0 matrices
}

// randomQ8 builds a q8Model of cfg from seed, without the quantize
// package (which imports this one).
func randomQ8(tb testing.TB, cfg Config, shared bool, gs int, seed uint64) *q8Model {
	tb.Helper()
	if err := cfg.CheckGroupSize(gs); err != nil {
		tb.Fatalf("randomQ8(%v): %v", cfg, err)
	}
	w := randomPerMatrix(tb, cfg, shared, Uniform(gs), seed)
	return &q8Model{cfg: cfg, shared: shared, groupSize: gs, w: w}
}

// encode writes the model with WriteQ8.
func (m *q8Model) encode(tb testing.TB) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := WriteQ8(&buf, m.cfg, m.shared, m.groupSize, m.w); err != nil {
		tb.Fatalf("WriteQ8: %v", err)
	}
	return buf.Bytes()
}

// q8List flattens the matrices of Weights into named lists for comparison.
func q8List(q *Weights) map[string][]kernels.Tensor {
	return map[string][]kernels.Tensor{
		"token_embedding": {q.TokenEmbedding}, "wq": q.WQ, "wk": q.WK, "wv": q.WV,
		"wo": q.WO, "w1": q.W1, "w2": q.W2, "w3": q.W3, "classifier": {q.Classifier},
	}
}

// checkQ8 fails unless ck is a FormatQ8 checkpoint of the model's shape:
// matrices of the right sizes (and equal to want's when want is not nil),
// the classifier shared exactly when it should be, the float32 matrices
// F32 only for the RMS-norm vectors, and the token embedding dequantized
// as runq.c does.
func checkQ8(tb testing.TB, ck *Checkpoint, cfg Config, shared bool, gs int, want *q8Model) {
	tb.Helper()
	if ck.Format != FormatQ8 || ck.Config != cfg || ck.SharedClassifier != shared || ck.GroupSize != gs {
		tb.Fatalf("got format %v config %v shared %v group size %d", ck.Format, ck.Config, ck.SharedClassifier, ck.GroupSize)
	}
	w := &ck.Weights
	d, h, kv, l, v := cfg.Dim, cfg.HiddenDim, cfg.KVDim(), cfg.Layers, cfg.VocabSize
	sizes := map[string]int{"token_embedding": v * d, "wq": d * d, "wk": kv * d, "wv": kv * d,
		"wo": d * d, "w1": h * d, "w2": d * h, "w3": h * d, "classifier": v * d}
	got := q8List(w)
	for name, ms := range got {
		layers := l
		if name == "token_embedding" || name == "classifier" {
			layers = 1
		}
		if len(ms) != layers {
			tb.Fatalf("%s: %d layers, want %d", name, len(ms), layers)
		}
		for i, m := range ms {
			if m.DType != kernels.Q8_0 || m.F32 != nil || m.GroupSize != gs || len(m.Q8) != sizes[name] || len(m.Scales) != sizes[name]/gs {
				tb.Fatalf("%s[%d]: %v with %d floats, %d values, %d scales in groups of %d; want q8_0, 0, %d, %d, %d",
					name, i, m.DType, len(m.F32), len(m.Q8), len(m.Scales), m.GroupSize, sizes[name], sizes[name]/gs, gs)
			}
			if want == nil {
				continue
			}
			w := q8List(want.w)[name][i]
			for j := range m.Q8 {
				if m.Q8[j] != w.Q8[j] {
					tb.Fatalf("%s[%d].Q8[%d] = %d, want %d", name, i, j, m.Q8[j], w.Q8[j])
				}
			}
			for j := range m.Scales {
				if math.Float32bits(m.Scales[j]) != math.Float32bits(w.Scales[j]) {
					tb.Fatalf("%s[%d].Scales[%d] = %v, want %v", name, i, j, m.Scales[j], w.Scales[j])
				}
			}
		}
	}
	cls, emb := w.Classifier, w.TokenEmbedding
	if aliased := &cls.Q8[0] == &emb.Q8[0]; aliased != shared {
		tb.Fatalf("classifier aliases token embedding = %v, want %v", aliased, shared)
	}
	if len(w.RMSAtt) != l || len(w.RMSFFN) != l || len(w.RMSFinal.F32) != d || len(w.RMSAtt[l-1].F32) != d || len(w.RMSFFN[0].F32) != d {
		tb.Fatal("RMS-norm vectors have the wrong shape")
	}
	if want != nil {
		for i := range l {
			for j := range d {
				if w.RMSAtt[i].F32[j] != want.w.RMSAtt[i].F32[j] || w.RMSFFN[i].F32[j] != want.w.RMSFFN[i].F32[j] {
					tb.Fatalf("rms layer %d [%d] differs", i, j)
				}
			}
		}
	}
	row := make([]float32, d)
	for tok := range v {
		ck.Embedding(row, tok)
		for j, x := range row {
			i := tok*d + j
			if want := float32(emb.Q8[i]) * emb.Scales[i/gs]; math.Float32bits(x) != math.Float32bits(want) {
				tb.Fatalf("Embedding(%d)[%d] = %v, want q·s = %v", tok, j, x, want)
			}
		}
	}
}

// dequantize expands the Q8_0 tensor q as runq.c does (DequantizeRange
// over the whole tensor).
func dequantize(q kernels.Tensor) []float32 {
	out := make([]float32, len(q.Q8))
	DequantizeRange(out, q, 0)
	return out
}
