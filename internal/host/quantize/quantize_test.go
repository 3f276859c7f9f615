package quantize

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/internal/host/synthetic"
	"github.com/retrollama/retrollama/kernels"
)

// TestQuantizeTensor pins the rounding rules on hand-made groups: scale
// max|w|/127, ties to even, all-zero groups, sign symmetry.
func TestQuantizeTensor(t *testing.T) {
	tests := []struct {
		name  string
		w     []float32
		q     []int8
		scale float32
	}{
		{"max maps to 127", []float32{127, -63.5, 0.5, 1.5}, []int8{127, -64, 0, 2}, 1},
		{"ties to even", []float32{-127, 2.5, -2.5, 3.5}, []int8{-127, 2, -2, 4}, 1},
		{"all zero", []float32{0, 0, 0, 0}, []int8{0, 0, 0, 0}, 0},
		{"negative zero", []float32{float32(math.Copysign(0, -1)), 0, 0, 0}, []int8{0, 0, 0, 0}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := kernels.Tensor{DType: kernels.Q8_0, GroupSize: 4}
			if _, err := quantizeTensor(&m, tt.w); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(int8Bytes(m.Q8), int8Bytes(tt.q)) || len(m.Scales) != 1 || m.Scales[0] != tt.scale {
				t.Fatalf("got q %v scale %v, want %v scale %v", m.Q8, m.Scales, tt.q, tt.scale)
			}
		})
	}
	for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(-1))} {
		if _, err := quantizeTensor(&kernels.Tensor{GroupSize: 2}, []float32{1, bad}); err == nil || !strings.Contains(err.Error(), "value 1") {
			t.Errorf("quantizeTensor with %v: %v, want an error naming value 1", bad, err)
		}
	}
}

// int8Bytes converts for comparison.
func int8Bytes(q []int8) []byte {
	b := make([]byte, len(q))
	for i, v := range q {
		b[i] = byte(v)
	}
	return b
}

// gqaUnshared is a small synthetic model with grouped-query attention and
// its own random classifier.
func gqaUnshared(t *testing.T) *checkpoint.Checkpoint {
	t.Helper()
	cfg := checkpoint.Config{Dim: 32, HiddenDim: 48, Layers: 2, Heads: 4, KVHeads: 2, VocabSize: 13, SeqLen: 8}
	ck, err := synthetic.FromConfig(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	other, err := synthetic.FromConfig(cfg, 4)
	if err != nil {
		t.Fatal(err)
	}
	ck.Weights.Classifier = other.Weights.TokenEmbedding // distinct values, same shape
	ck.SharedClassifier = false
	return ck
}

// TestRoundTrip quantizes a synthetic GQA model with an unshared
// classifier, writes it with WriteQ8 and parses it back: every weight must
// dequantize to within half a step (s/2) of the original, the RMS weights
// must be untouched, and Stats must report the worst error.
func TestRoundTrip(t *testing.T) {
	ck := gqaUnshared(t)
	for _, gs := range []int{1, 4, 16} {
		t.Run(fmt.Sprint("gs", gs), func(t *testing.T) {
			q, st, err := Quantize(ck, gs)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := checkpoint.WriteQ8(&buf, ck.Config, false, gs, q); err != nil {
				t.Fatal(err)
			}
			back, err := checkpoint.Parse("rt.bin", buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if back.Format != checkpoint.FormatQ8 || back.GroupSize != gs || back.SharedClassifier || back.Config != ck.Config {
				t.Fatalf("parsed format %v group size %d shared %v config %v", back.Format, back.GroupSize, back.SharedClassifier, back.Config)
			}
			w, bq := &ck.Weights, &back.Weights
			pairs := map[string][2]any{
				"token_embedding": {w.TokenEmbedding, bq.TokenEmbedding},
				"classifier":      {w.Classifier, bq.Classifier},
			}
			for l := range ck.Config.Layers {
				for name, p := range map[string][2]any{
					"wq": {w.WQ[l], bq.WQ[l]}, "wk": {w.WK[l], bq.WK[l]}, "wv": {w.WV[l], bq.WV[l]},
					"wo": {w.WO[l], bq.WO[l]}, "w1": {w.W1[l], bq.W1[l]}, "w2": {w.W2[l], bq.W2[l]},
					"w3": {w.W3[l], bq.W3[l]},
				} {
					pairs[fmt.Sprintf("layers.%d.%s", l, name)] = p
				}
			}
			var maxErr, maxScale float64
			errOf := map[string]float64{} // worst error per tensor
			for name, p := range pairs {
				f, m := p[0].(kernels.Tensor).F32, p[1].(kernels.Tensor)
				for i, x := range f {
					s := m.Scales[i/gs]
					e := math.Abs(float64(x) - float64(float32(m.Q8[i])*s))
					if e > float64(s)/2*(1+1e-6) {
						t.Fatalf("%s[%d] = %v dequantizes to %d·%v: error %g above s/2", name, i, x, m.Q8[i], s, e)
					}
					errOf[name] = max(errOf[name], e)
					maxErr = max(maxErr, e)
					maxScale = max(maxScale, float64(s))
				}
			}
			if st.GroupSize != gs || st.MaxError != maxErr || errOf[st.WorstTensor] != maxErr {
				t.Errorf("Stats %+v, want group size %d and max error %g in a tensor whose worst error it is", st, gs, maxErr)
			}
			if st.MaxError > maxScale/2 || st.MaxError == 0 && gs > 1 {
				t.Errorf("MaxError %g not in (0, max scale/2 = %g]", st.MaxError, maxScale/2)
			}
			for l := range ck.Config.Layers {
				for i, x := range w.RMSAtt[l].F32 {
					if back.Weights.RMSAtt[l].F32[i] != x || back.Weights.RMSFFN[l].F32[i] != w.RMSFFN[l].F32[i] {
						t.Fatalf("rms weights of layer %d changed", l)
					}
				}
			}
			row, d := make([]float32, ck.Config.Dim), ck.Config.Dim
			for tok := range ck.Config.VocabSize {
				back.Embedding(row, tok)
				for j, x := range row {
					e, i := bq.TokenEmbedding, tok*d+j
					if x != float32(e.Q8[i])*e.Scales[i/gs] {
						t.Fatalf("dequantized token_embedding[%d] = %v is not q·s", i, x)
					}
				}
			}
		})
	}
}

// TestQuantizeShared checks that a shared classifier is not quantized
// twice: it is the token embedding.
func TestQuantizeShared(t *testing.T) {
	ck, err := synthetic.Model("stories260K")
	if err != nil {
		t.Fatal(err)
	}
	q, st, err := Quantize(ck, 4)
	if err != nil {
		t.Fatal(err)
	}
	if &q.Classifier.Q8[0] != &q.TokenEmbedding.Q8[0] {
		t.Error("shared classifier was quantized separately")
	}
	if st.WorstTensor == "" || st.MaxError <= 0 {
		t.Errorf("Stats %+v", st)
	}
	again, _, err := Quantize(ck, 4)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(int8Bytes(again.W2[4].Q8), int8Bytes(q.W2[4].Q8)) {
		t.Error("quantizing twice gave different values")
	}
}

// TestQuantizeRejects checks the errors for unusable input.
func TestQuantizeRejects(t *testing.T) {
	ck, err := synthetic.Model("stories260K")
	if err != nil {
		t.Fatal(err)
	}
	short := *ck
	short.Weights.W1 = ck.Weights.W1[:2]
	nan := *ck
	nan.Weights.WO = append([]kernels.Tensor(nil), ck.Weights.WO...)
	nan.Weights.WO[1].F32 = append([]float32(nil), ck.Weights.WO[1].F32...)
	nan.Weights.WO[1].F32[77] = float32(math.NaN())
	q8 := *ck
	q8.Format, q8.GroupSize = checkpoint.FormatQ8, 4
	tests := []struct {
		name string
		ck   *checkpoint.Checkpoint
		gs   int
		want string
	}{
		{"group size not dividing hidden_dim", ck, 64, "group_size = 64 does not divide hidden_dim = 172"},
		{"zero group size", ck, 0, "group_size = 0 must be positive"},
		{"missing layers", &short, 4, "w1 has 2 layers"},
		{"NaN weight", &nan, 4, "layers.1.wo: value 77 is NaN"},
		{"already quantized", &q8, 4, "already Q8_0"},
		{"nil", nil, 4, "nil checkpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, _, err := Quantize(tt.ck, tt.gs)
			if err == nil || q != nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("Quantize = %v, want one line mentioning %q", err, tt.want)
			}
		})
	}
}
