package checkpoint

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/kernels"
)

// perMatrixSizes are group sizes for tinyGQA (dim 16, hidden_dim 24) that
// FormatQ8 could not hold: w2's 24 does not divide dim, and the others
// all differ.
var perMatrixSizes = GroupSizes{TokenEmbedding: 8, WQ: 16, WK: 4, WV: 2, WO: 16, W1: 8, W2: 24, W3: 1, Classifier: 16}

// randomPerMatrix builds a random Q8_0 model of cfg whose matrices have
// the group sizes gs (the classifier is the token embedding when shared).
func randomPerMatrix(tb testing.TB, cfg Config, shared bool, gs GroupSizes, seed uint64) *Weights {
	tb.Helper()
	src := synth(tb, cfg, true)
	r := rand.New(rand.NewPCG(seed, 0))
	matrix := func(rows, cols, g int) kernels.Tensor {
		m := kernels.Tensor{DType: kernels.Q8_0, Rows: rows, Cols: cols, Q8: make([]int8, rows*cols), Scales: make([]float32, rows*cols/g), GroupSize: g}
		for i := range m.Q8 {
			m.Q8[i] = int8(r.IntN(255) - 127)
		}
		for i := range m.Scales {
			m.Scales[i] = 0.01 + 0.02*r.Float32()
		}
		return m
	}
	layers := func(rows, cols, g int) []kernels.Tensor {
		ms := make([]kernels.Tensor, cfg.Layers)
		for l := range ms {
			ms[l] = matrix(rows, cols, g)
		}
		return ms
	}
	d, h, kv := cfg.Dim, cfg.HiddenDim, cfg.KVDim()
	w := &Weights{
		TokenEmbedding: matrix(cfg.VocabSize, d, gs.TokenEmbedding),
		RMSAtt:         src.Weights.RMSAtt, RMSFFN: src.Weights.RMSFFN, RMSFinal: src.Weights.RMSFinal,
		WQ: layers(d, d, gs.WQ), WK: layers(kv, d, gs.WK), WV: layers(kv, d, gs.WV), WO: layers(d, d, gs.WO),
		W1: layers(h, d, gs.W1), W2: layers(d, h, gs.W2), W3: layers(h, d, gs.W3),
	}
	w.Classifier = w.TokenEmbedding
	if !shared {
		w.Classifier = matrix(cfg.VocabSize, d, gs.Classifier)
	}
	return w
}

// TestQ8PerMatrixRoundTrip: WriteQ8PerMatrix then Parse gives back every
// matrix with its kind's group size, shared or not, and the token
// embedding dequantized with its own group size.
func TestQ8PerMatrixRoundTrip(t *testing.T) {
	for _, shared := range []bool{true, false} {
		gs := perMatrixSizes
		if shared {
			gs.Classifier = gs.TokenEmbedding
		}
		q := randomPerMatrix(t, tinyGQA, shared, gs, 7)
		var buf bytes.Buffer
		if err := WriteQ8PerMatrix(&buf, tinyGQA, shared, gs, q); err != nil {
			t.Fatalf("shared %v: WriteQ8PerMatrix: %v", shared, err)
		}
		ck, err := Parse("pm.bin", buf.Bytes())
		if err != nil {
			t.Fatalf("shared %v: Parse: %v", shared, err)
		}
		if ck.Format != FormatQ8PerMatrix || ck.GroupSizes != gs || ck.GroupSize != 0 || ck.SharedClassifier != shared {
			t.Fatalf("shared %v: format %v group sizes %+v (file-wide %d) shared %v", shared, ck.Format, ck.GroupSizes, ck.GroupSize, ck.SharedClassifier)
		}
		got, want := q8List(&ck.Weights), q8List(q)
		for name, ms := range want {
			for l := range ms {
				if !reflect.DeepEqual(got[name][l].Q8, ms[l].Q8) || !reflect.DeepEqual(got[name][l].Scales, ms[l].Scales) {
					t.Fatalf("shared %v: %s layer %d differs after the round trip", shared, name, l)
				}
			}
		}
		row := make([]float32, tinyGQA.Dim)
		ck.Embedding(row, 3)
		for j, v := range row {
			i := 3*tinyGQA.Dim + j
			if w := float32(q.TokenEmbedding.Q8[i]) * q.TokenEmbedding.Scales[i/gs.TokenEmbedding]; v != w {
				t.Fatalf("shared %v: embedding row 3 [%d] = %v, want %v", shared, j, v, w)
			}
		}
		if !strings.Contains(ck.GroupSizes.String(), "w2 24") {
			t.Errorf("GroupSizes.String() = %q, want it to name w2's 24", ck.GroupSizes.String())
		}
	}
}

// TestQ8PerMatrixBadInput: broken per-matrix headers and mismatched
// weights give one-line errors naming the field; WriteQ8PerMatrix refuses
// what Parse would.
func TestQ8PerMatrixBadInput(t *testing.T) {
	q := randomPerMatrix(t, tinyGQA, false, perMatrixSizes, 9)
	var buf bytes.Buffer
	if err := WriteQ8PerMatrix(&buf, tinyGQA, false, perMatrixSizes, q); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	withGS := func(i int, v int32) []byte {
		b := bytes.Clone(good)
		binary.LittleEndian.PutUint32(b[groupSizeOffset+4*i:], uint32(v))
		return b
	}
	sharedFlag := bytes.Clone(good)
	sharedFlag[8+7*4] = 1
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"zero", withGS(0, 0), "group_size of token_embedding = 0 must be positive"},
		{"negative", withGS(3, -2), "group_size of wv = -2 must be positive"},
		{"w2 not dividing hidden_dim", withGS(6, 16), "group_size of w2 = 16 does not divide hidden_dim = 24"},
		{"wq not dividing dim", withGS(1, 24), "group_size of wq = 24 does not divide dim = 16"},
		{"huge", withGS(2, math.MaxInt32), "group_size of wk = 2147483647 does not divide dim = 16"},
		{"shared but classifier differs", sharedFlag, "group_size of classifier = 16 differs from token_embedding's 8"},
		{"more scales implied", withGS(6, 12), "truncated: header implies"},
		{"fewer scales implied", withGS(7, 2), "trailing data: header implies"},
		{"truncated", good[:len(good)-1], "truncated: header implies"},
	} {
		_, err := Parse("bad.bin", c.data)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line mentioning %q", c.name, err, c.want)
		}
	}
	bad := perMatrixSizes
	bad.W2 = 16
	if err := WriteQ8PerMatrix(&bytes.Buffer{}, tinyGQA, false, bad, q); err == nil || !strings.Contains(err.Error(), "w2 = 16") {
		t.Errorf("WriteQ8PerMatrix with w2 in groups of 16: %v", err)
	}
	wrong := perMatrixSizes
	wrong.W3 = 2 // the weights were made in groups of 1
	if err := WriteQ8PerMatrix(&bytes.Buffer{}, tinyGQA, false, wrong, q); err == nil || !strings.Contains(err.Error(), "w3") {
		t.Errorf("WriteQ8PerMatrix with w3's scales for groups of 1 declared 2: %v", err)
	}
	if err := Write(&bytes.Buffer{}, FormatQ8PerMatrix, tinyGQA, false, &Weights{}); err == nil || !strings.Contains(err.Error(), "WriteQ8PerMatrix") {
		t.Errorf("Write(FormatQ8PerMatrix): %v", err)
	}
}

// checkPerMatrix fails unless every matrix of a FormatQ8PerMatrix
// checkpoint is Q8_0 with its shape's values and its kind's group size
// and number of scales, and a shared classifier is the embedding.
func checkPerMatrix(tb testing.TB, ck *Checkpoint) {
	tb.Helper()
	c, g, q := ck.Config, ck.GroupSizes, &ck.Weights
	d, h, kv := c.Dim, c.HiddenDim, c.KVDim()
	check := func(name string, ms []kernels.Tensor, values, gs int) {
		if len(ms) == 0 {
			tb.Fatalf("%s: no matrices", name)
		}
		for l, m := range ms {
			if m.DType != kernels.Q8_0 || m.GroupSize != gs || len(m.Q8) != values || len(m.Scales) != values/gs {
				tb.Fatalf("%s[%d]: %v, %d values and %d scales in groups of %d, want q8_0, %d and %d in groups of %d",
					name, l, m.DType, len(m.Q8), len(m.Scales), m.GroupSize, values, values/gs, gs)
			}
		}
	}
	check("token_embedding", []kernels.Tensor{q.TokenEmbedding}, c.VocabSize*d, g.TokenEmbedding)
	check("wq", q.WQ, d*d, g.WQ)
	check("wk", q.WK, kv*d, g.WK)
	check("wv", q.WV, kv*d, g.WV)
	check("wo", q.WO, d*d, g.WO)
	check("w1", q.W1, h*d, g.W1)
	check("w2", q.W2, d*h, g.W2)
	check("w3", q.W3, h*d, g.W3)
	check("classifier", []kernels.Tensor{q.Classifier}, c.VocabSize*d, g.Classifier)
	if ck.SharedClassifier && &q.Classifier.Q8[0] != &q.TokenEmbedding.Q8[0] {
		tb.Fatal("shared classifier is not the token embedding")
	}
}
