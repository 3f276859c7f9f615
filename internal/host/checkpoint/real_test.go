package checkpoint

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"runtime"
	"testing"

	"github.com/retrollama/retrollama/internal/testdata"
)

// stories260K is the shape of the real checkpoint in ../shared/models.
var stories260K = Config{Dim: 64, HiddenDim: 172, Layers: 5, Heads: 8, KVHeads: 4, VocabSize: 512, SeqLen: 512}

// floatAt reads the little-endian float32 at byte offset off, independently
// of the package's own decoding.
func floatAt(b []byte, off int) float32 {
	return math.Float32frombits(binary.LittleEndian.Uint32(b[off:]))
}

// TestRealStories260K loads the real legacy checkpoint through the mapped
// and the in-memory path and spot-checks values against offsets computed
// here from the legacy layout.
func TestRealStories260K(t *testing.T) {
	path := testdata.Path(t, "models", "stories260K.bin")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != 1056540 {
		t.Fatalf("%s has %d bytes, want 1056540", path, len(raw))
	}
	c := stories260K
	kv := c.Dim * c.KVHeads / c.Heads
	// Offsets in floats after the 28-byte header, in legacy order.
	emb := 0
	rmsAtt := emb + c.VocabSize*c.Dim
	wq := rmsAtt + c.Layers*c.Dim
	wk := wq + c.Layers*c.Dim*c.Dim
	wv := wk + c.Layers*kv*c.Dim
	wo := wv + c.Layers*kv*c.Dim
	rmsFFN := wo + c.Layers*c.Dim*c.Dim
	w1 := rmsFFN + c.Layers*c.Dim
	w2 := w1 + c.Layers*c.HiddenDim*c.Dim
	w3 := w2 + c.Layers*c.Dim*c.HiddenDim
	rmsFinal := w3 + c.Layers*c.HiddenDim*c.Dim
	at := func(floatOff int) float32 { return floatAt(raw, 28+4*floatOff) }

	mapped, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	parsed, err := Parse(path, raw)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	for name, ck := range map[string]*Checkpoint{"Open": mapped, "Parse": parsed} {
		t.Run(name, func(t *testing.T) {
			if ck.Config != c || ck.Format != FormatLegacy || !ck.SharedClassifier || ck.Path != path {
				t.Fatalf("got %v format %v shared %v path %q", ck.Config, ck.Format, ck.SharedClassifier, ck.Path)
			}
			w := &ck.Weights
			checkShape(t, c, true, w)
			spots := []struct {
				name      string
				got, want float32
			}{
				{"token_embedding[0]", w.TokenEmbedding.F32[0], at(emb)},
				{"rms_att[1][0]", w.RMSAtt[1].F32[0], at(rmsAtt + c.Dim)},
				{"wq[0][0]", w.WQ[0].F32[0], at(wq)},
				{"wk[4][last]", w.WK[4].F32[kv*c.Dim-1], at(wv - 1)},
				{"wv[2][5]", w.WV[2].F32[5], at(wv + 2*kv*c.Dim + 5)},
				{"wo[0][0]", w.WO[0].F32[0], at(wo)},
				{"rms_ffn[4][0]", w.RMSFFN[4].F32[0], at(rmsFFN + 4*c.Dim)},
				{"w1[0][0]", w.W1[0].F32[0], at(w1)},
				{"w2[0][0]", w.W2[0].F32[0], at(w2)},
				{"w3[4][last]", w.W3[4].F32[c.HiddenDim*c.Dim-1], at(rmsFinal - 1)},
				{"rms_final[0]", w.RMSFinal.F32[0], at(rmsFinal)},
				{"rms_final[last]", w.RMSFinal.F32[c.Dim-1], at(rmsFinal + c.Dim - 1)},
			}
			for _, s := range spots {
				if math.Float32bits(s.got) != math.Float32bits(s.want) {
					t.Errorf("%s = %v, file has %v", s.name, s.got, s.want)
				}
			}
			// Trained RMS-norm weights are not all equal: a misplaced slice
			// would likely land on constant RoPE or zero data instead.
			if w.RMSFinal.F32[0] == w.RMSFinal.F32[1] && w.RMSFinal.F32[1] == w.RMSFinal.F32[2] {
				t.Errorf("rms_final starts with three equal values %v", w.RMSFinal.F32[:3])
			}
		})
	}
	sameWeights(t, &mapped.Weights, &parsed.Weights)
	if runtime.GOOS != "windows" && mapped.release == nil {
		t.Errorf("Open on %s did not map the file", runtime.GOOS)
	}
	for i := range 2 {
		if err := mapped.Close(); err != nil {
			t.Fatalf("Close #%d: %v", i+1, err)
		}
	}
	if mapped.Weights.TokenEmbedding.F32 != nil {
		t.Error("Close left weights pointing at unmapped memory")
	}
}

// TestRealRewrite writes the real checkpoint back in the legacy format:
// every weight byte must match, and the RoPE tables Write computes must
// match the ones llama2.c's exporter wrote to within float32 rounding.
func TestRealRewrite(t *testing.T) {
	path := testdata.Path(t, "models", "stories260K.bin")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ck, err := Parse(path, raw)
	if err != nil {
		t.Fatal(err)
	}
	out := encode(t, FormatLegacy, ck)
	if len(out) != len(raw) {
		t.Fatalf("rewrite has %d bytes, original %d", len(out), len(raw))
	}
	freqFloats := 2 * ck.Config.SeqLen * ck.Config.HeadSize() / 2
	freqStart := len(raw) - 4*freqFloats
	if !bytes.Equal(out[:freqStart], raw[:freqStart]) {
		t.Fatal("header or weights differ after rewrite")
	}
	for off := freqStart; off < len(raw); off += 4 {
		got, want := floatAt(out, off), floatAt(raw, off)
		if math.Abs(float64(got-want)) > 1e-5 {
			t.Fatalf("RoPE table float at byte %d = %v, llama2.c wrote %v", off, got, want)
		}
	}
}
