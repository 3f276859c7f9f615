package checkpoint

import (
	"bytes"
	"math"
	"testing"
)

// q8Model is a Q8_0 model for tests: float32 RMS-norm vectors and random
// quantized matrices (values in [-127, 127], positive scales).
type q8Model struct {
	cfg       Config
	shared    bool
	groupSize int
	rms       *Weights
	q         *QuantizedWeights
}

// randomQ8 builds a q8Model of cfg from seed, without the quantize
// package (which imports this one).
func randomQ8(tb testing.TB, cfg Config, shared bool, gs int, seed uint64) *q8Model {
	tb.Helper()
	if err := cfg.CheckGroupSize(gs); err != nil {
		tb.Fatalf("randomQ8(%v): %v", cfg, err)
	}
	rms, q := randomPerMatrix(tb, cfg, shared, Uniform(gs), seed)
	return &q8Model{cfg: cfg, shared: shared, groupSize: gs, rms: rms, q: q}
}

// encode writes the model with WriteQ8.
func (m *q8Model) encode(tb testing.TB) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := WriteQ8(&buf, m.cfg, m.shared, m.groupSize, m.rms, m.q); err != nil {
		tb.Fatalf("WriteQ8: %v", err)
	}
	return buf.Bytes()
}

// q8List flattens QuantizedWeights into named matrices for comparison.
func q8List(q *QuantizedWeights) map[string][]Q8 {
	return map[string][]Q8{
		"token_embedding": {q.TokenEmbedding}, "wq": q.WQ, "wk": q.WK, "wv": q.WV,
		"wo": q.WO, "w1": q.W1, "w2": q.W2, "w3": q.W3, "classifier": {q.Classifier},
	}
}

// checkQ8 fails unless ck is a FormatQ8 checkpoint of the model's shape:
// matrices of the right sizes (and equal to want's when want is not nil),
// the classifier shared exactly when it should be, the float32 matrices
// nil, and the token embedding dequantized as runq.c does.
func checkQ8(tb testing.TB, ck *Checkpoint, cfg Config, shared bool, gs int, want *q8Model) {
	tb.Helper()
	if ck.Format != FormatQ8 || ck.Config != cfg || ck.SharedClassifier != shared || ck.GroupSize != gs || ck.Quantized == nil {
		tb.Fatalf("got format %v config %v shared %v group size %d quantized %v", ck.Format, ck.Config, ck.SharedClassifier, ck.GroupSize, ck.Quantized != nil)
	}
	w := &ck.Weights
	if w.WQ != nil || w.WK != nil || w.WV != nil || w.WO != nil || w.W1 != nil || w.W2 != nil || w.W3 != nil || w.Classifier != nil {
		tb.Fatal("a Q8_0 checkpoint has float32 matrices")
	}
	d, h, kv, l, v := cfg.Dim, cfg.HiddenDim, cfg.KVDim(), cfg.Layers, cfg.VocabSize
	sizes := map[string]int{"token_embedding": v * d, "wq": d * d, "wk": kv * d, "wv": kv * d,
		"wo": d * d, "w1": h * d, "w2": d * h, "w3": h * d, "classifier": v * d}
	got := q8List(ck.Quantized)
	for name, ms := range got {
		layers := l
		if name == "token_embedding" || name == "classifier" {
			layers = 1
		}
		if len(ms) != layers {
			tb.Fatalf("%s: %d layers, want %d", name, len(ms), layers)
		}
		for i, m := range ms {
			if len(m.Q) != sizes[name] || len(m.S) != sizes[name]/gs {
				tb.Fatalf("%s[%d]: %d values, %d scales; want %d, %d", name, i, len(m.Q), len(m.S), sizes[name], sizes[name]/gs)
			}
			if want == nil {
				continue
			}
			w := q8List(want.q)[name][i]
			for j := range m.Q {
				if m.Q[j] != w.Q[j] {
					tb.Fatalf("%s[%d].Q[%d] = %d, want %d", name, i, j, m.Q[j], w.Q[j])
				}
			}
			for j := range m.S {
				if math.Float32bits(m.S[j]) != math.Float32bits(w.S[j]) {
					tb.Fatalf("%s[%d].S[%d] = %v, want %v", name, i, j, m.S[j], w.S[j])
				}
			}
		}
	}
	cls, emb := ck.Quantized.Classifier, ck.Quantized.TokenEmbedding
	if aliased := &cls.Q[0] == &emb.Q[0]; aliased != shared {
		tb.Fatalf("classifier aliases token embedding = %v, want %v", aliased, shared)
	}
	if len(w.RMSAtt) != l || len(w.RMSFFN) != l || len(w.RMSFinal) != d || len(w.RMSAtt[l-1]) != d || len(w.RMSFFN[0]) != d {
		tb.Fatal("RMS-norm vectors have the wrong shape")
	}
	if want != nil {
		for i := range l {
			for j := range d {
				if w.RMSAtt[i][j] != want.rms.RMSAtt[i][j] || w.RMSFFN[i][j] != want.rms.RMSFFN[i][j] {
					tb.Fatalf("rms layer %d [%d] differs", i, j)
				}
			}
		}
	}
	if w.TokenEmbedding != nil {
		tb.Fatalf("a Q8_0 checkpoint holds a dequantized token embedding (%d floats): rows are dequantized on demand", len(w.TokenEmbedding))
	}
	row := make([]float32, d)
	for tok := range v {
		ck.Embedding(row, tok)
		for j, x := range row {
			i := tok*d + j
			if want := float32(emb.Q[i]) * emb.S[i/gs]; math.Float32bits(x) != math.Float32bits(want) {
				tb.Fatalf("Embedding(%d)[%d] = %v, want q·s = %v", tok, j, x, want)
			}
		}
	}
}
