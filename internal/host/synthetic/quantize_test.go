package synthetic

import (
	"bytes"
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/internal/host/quantize"
	"github.com/retrollama/retrollama/kernels"
)

// TestQ8IsQuantizeModel: the streaming Q8_0 synthetic model is bit for
// bit quantize.Model of the fp32 one: named shapes with the chosen and other group
// sizes, a GQA shape, and a shape whose tensors span several 64Ki-float
// chunks with group sizes that do not divide the chunk (so groups
// straddle chunks and are carried over).
func TestQ8IsQuantizeModel(t *testing.T) {
	gqa := checkpoint.Config{Dim: 32, HiddenDim: 48, Layers: 2, Heads: 4, KVHeads: 2, VocabSize: 13, SeqLen: 8}
	odd := checkpoint.Config{Dim: 96, HiddenDim: 288, Layers: 3, Heads: 4, KVHeads: 2, VocabSize: 1500, SeqLen: 8}
	tests := []struct {
		name string
		cfg  checkpoint.Config // when name is ""
		gs   int
	}{
		{name: "stories260K"},
		{name: "stories260K", gs: 1},
		{name: "stories260K", gs: 2},
		{cfg: gqa, gs: 0},
		{cfg: gqa, gs: 16},
		{cfg: odd, gs: 3},
		{cfg: odd, gs: 96},
		{cfg: odd, gs: 32},
		{name: "stories15M"},
	}
	for _, tt := range tests {
		label := tt.name
		if label == "" {
			label = fmt.Sprintf("dim%d", tt.cfg.Dim)
		}
		t.Run(fmt.Sprintf("%s/gs%d", label, tt.gs), func(t *testing.T) {
			if tt.name == "stories15M" && testing.Short() {
				t.Skip("quantizing fp32 stories15M takes seconds under -race")
			}
			var fp *checkpoint.Checkpoint
			var got *checkpoint.Checkpoint
			var err error
			if tt.name != "" {
				if fp, err = Model(tt.name); err == nil {
					got, err = Q8(tt.name, chosen(fp.Config, tt.gs))
				}
			} else {
				if fp, err = FromConfig(tt.cfg, 7); err == nil {
					got, err = Q8FromConfig(tt.cfg, 7, chosen(fp.Config, tt.gs))
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			want, _, err := quantize.Model(fp, tt.gs)
			if err != nil {
				t.Fatal(err)
			}
			sameQ8Model(t, got, want)
		})
	}
}

// TestQ8Schedule: the streaming model does not depend on how many
// goroutines build it.
func TestQ8Schedule(t *testing.T) {
	cfg := checkpoint.Config{Dim: 96, HiddenDim: 288, Layers: 3, Heads: 4, KVHeads: 2, VocabSize: 1500, SeqLen: 8}
	prev := runtime.GOMAXPROCS(1)
	one, err := Q8FromConfig(cfg, 1, 3)
	runtime.GOMAXPROCS(max(prev, 8))
	many, err2 := Q8FromConfig(cfg, 1, 3)
	runtime.GOMAXPROCS(prev)
	if err != nil || err2 != nil {
		t.Fatal(err, err2)
	}
	sameQ8Model(t, one, many)
}

// TestQ8Rejects: unknown names and unusable group sizes are errors, as
// from quantize.Model.
func TestQ8Rejects(t *testing.T) {
	for _, tt := range []struct {
		name string
		gs   int
		want string
	}{
		{"stories1B", 0, `unknown synthetic model "stories1B"`},
		{"stories1B", 4, `unknown synthetic model "stories1B"`},
		{"stories260K", 64, "group_size = 64 does not divide hidden_dim = 172"},
		{"stories15M", -32, "group_size = -32 must be positive"},
	} {
		ck, err := Q8(tt.name, tt.gs)
		if err == nil || ck != nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Q8(%s, %d) = %v, want one line mentioning %q", tt.name, tt.gs, err, tt.want)
		}
	}
	if _, err := Q8FromConfig(checkpoint.Config{}, 1, 4); err == nil || !strings.Contains(err.Error(), "dim = 0") {
		t.Errorf("zero config: %v", err)
	}
}

// sameQ8Model fails unless got and want are the same loaded Q8_0 model,
// every float compared bit for bit, the shared classifier aliased alike.
func sameQ8Model(t *testing.T, got, want *checkpoint.Checkpoint) {
	t.Helper()
	if got.Path != want.Path || got.Format != want.Format || got.Config != want.Config ||
		got.SharedClassifier != want.SharedClassifier || got.GroupSize != want.GroupSize {
		t.Fatalf("got %q %v %v shared %v gs %d, want %q %v %v shared %v gs %d",
			got.Path, got.Format, got.Config, got.SharedClassifier, got.GroupSize,
			want.Path, want.Format, want.Config, want.SharedClassifier, want.GroupSize)
	}
	floats := func(name string, a, b []float32) {
		t.Helper()
		if (a == nil) != (b == nil) || len(a) != len(b) {
			t.Fatalf("%s: %d floats (nil %v), want %d (nil %v)", name, len(a), a == nil, len(b), b == nil)
		}
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				t.Fatalf("%s[%d] = %v, want %v", name, i, a[i], b[i])
			}
		}
	}
	q8s := func(name string, a, b []kernels.Tensor) {
		t.Helper()
		if len(a) != len(b) {
			t.Fatalf("%s: %d matrices, want %d", name, len(a), len(b))
		}
		for l := range a {
			if len(a[l].Q8) != len(b[l].Q8) {
				t.Fatalf("%s[%d]: %d values, want %d", name, l, len(a[l].Q8), len(b[l].Q8))
			}
			for i := range a[l].Q8 {
				if a[l].Q8[i] != b[l].Q8[i] {
					t.Fatalf("%s[%d] value %d = %d, want %d", name, l, i, a[l].Q8[i], b[l].Q8[i])
				}
			}
			floats(fmt.Sprintf("%s[%d] scales", name, l), a[l].Scales, b[l].Scales)
		}
	}
	gw, ww := &got.Weights, &want.Weights
	floats("rms_final", gw.RMSFinal.F32, ww.RMSFinal.F32)
	for _, p := range []struct {
		name string
		a, b []kernels.Tensor
	}{
		{"rms_att", gw.RMSAtt, ww.RMSAtt}, {"rms_ffn", gw.RMSFFN, ww.RMSFFN},
	} {
		if len(p.a) != len(p.b) {
			t.Fatalf("%s: %d layers, want %d", p.name, len(p.a), len(p.b))
		}
		for l := range p.a {
			floats(fmt.Sprintf("%s[%d]", p.name, l), p.a[l].F32, p.b[l].F32)
		}
	}
	gq, wq := gw, ww
	for _, p := range []struct {
		name string
		a, b []kernels.Tensor
	}{
		{"token_embedding", []kernels.Tensor{gq.TokenEmbedding}, []kernels.Tensor{wq.TokenEmbedding}},
		{"classifier", []kernels.Tensor{gq.Classifier}, []kernels.Tensor{wq.Classifier}},
		{"wq", gq.WQ, wq.WQ}, {"wk", gq.WK, wq.WK}, {"wv", gq.WV, wq.WV}, {"wo", gq.WO, wq.WO},
		{"w1", gq.W1, wq.W1}, {"w2", gq.W2, wq.W2}, {"w3", gq.W3, wq.W3},
	} {
		q8s(p.name, p.a, p.b)
	}
	aliased := func(q *checkpoint.Weights) bool { return &q.Classifier.Q8[0] == &q.TokenEmbedding.Q8[0] }
	if aliased(gq) != aliased(wq) {
		t.Errorf("classifier aliases the token embedding: %v, want %v", aliased(gq), aliased(wq))
	}
}

// TestWriteIsWriteQ8: the streamed Q8_0 file of a named model is byte
// for byte WriteQ8 of the model Q8 builds in memory, with export.py's
// quantizer (the checkpoint package's tests cover the
// placement with other group sizes and shapes).
func TestWriteIsWriteQ8(t *testing.T) {
	for _, name := range []string{"stories260K", "stories15M"} {
		if name == "stories15M" && testing.Short() {
			continue
		}
		cfg, _ := checkpoint.ShapeOf(name)
		gs := quantize.ChooseGroupSize(cfg)
		ck, err := Q8(name, gs)
		if err != nil {
			t.Fatal(err)
		}
		var want, got bytes.Buffer
		if err := checkpoint.WriteQ8(&want, ck.Config, ck.SharedClassifier, ck.GroupSize, &ck.Weights); err != nil {
			t.Fatal(err)
		}
		if err := Write(&got, name, checkpoint.FormatQ8, gs); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%s: streamed %d bytes differ from WriteQ8's %d", name, got.Len(), want.Len())
		}
	}
	if err := Write(&bytes.Buffer{}, "stories1B", checkpoint.FormatQ8, 4); err == nil || !strings.Contains(err.Error(), "stories1B") {
		t.Errorf("unknown name: %v", err)
	}
}

// chosen is gs, or quantize.ChooseGroupSize's for cfg when gs is 0, as
// quantize.Model chooses.
func chosen(cfg checkpoint.Config, gs int) int {
	if gs == 0 {
		return quantize.ChooseGroupSize(cfg)
	}
	return gs
}
