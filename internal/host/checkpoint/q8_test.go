package checkpoint

import (
	"encoding/binary"
	"math"
	"os"
	"testing"
	"unsafe"

	"github.com/retrollama/retrollama/internal/testdata"
	"github.com/retrollama/retrollama/kernels"
)

// inside reports whether p points into b.
func inside(p unsafe.Pointer, b []byte) bool {
	lo := uintptr(unsafe.Pointer(&b[0]))
	return uintptr(p) >= lo && uintptr(p) < lo+uintptr(len(b))
}

// TestQ8RoundTrip writes random Q8_0 models with WriteQ8 and reads them
// back through Parse (aligned and unaligned buffers) and Open (mapped):
// every value, scale and RMS weight must come back bit for bit. Group
// sizes 1 and 2 put scale arrays at unaligned offsets, which must be
// decoded copies rather than unsafe views.
func TestQ8RoundTrip(t *testing.T) {
	odd := Config{Dim: 2, HiddenDim: 6, Layers: 2, Heads: 1, KVHeads: 1, VocabSize: 3, SeqLen: 2}
	tests := []struct {
		name   string
		cfg    Config
		shared bool
		gs     int
	}{
		{"gqa unshared gs4", tinyGQA, false, 4},
		{"gqa shared gs8", tinyGQA, true, 8},
		{"gqa unshared gs1", tinyGQA, false, 1},
		{"odd shared gs2 unaligned scales", odd, true, 2},
		{"odd unshared gs1 unaligned scales", odd, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := randomQ8(t, tt.cfg, tt.shared, tt.gs, 11)
			data := m.encode(t)
			n, err := weightBytes(layout(tt.cfg, FormatQ8, tt.shared), Uniform(tt.gs))
			if err != nil || int64(len(data)) != v1HeaderSize+n {
				t.Fatalf("wrote %d bytes, layout implies %d (%v)", len(data), v1HeaderSize+n, err)
			}
			t.Run("Parse aligned", func(t *testing.T) {
				ck, err := Parse("q8.bin", data)
				if err != nil {
					t.Fatal(err)
				}
				checkQ8(t, ck, tt.cfg, tt.shared, tt.gs, m)
				if ck.Path != "q8.bin" {
					t.Errorf("Path = %q", ck.Path)
				}
				wq := ck.Weights.WQ[0]
				if !inside(unsafe.Pointer(&wq.Q8[0]), data) {
					t.Error("int8 values were copied instead of viewed")
				}
				if littleEndianHost() && uintptr(unsafe.Pointer(&data[0]))%4 == 0 {
					emb := ck.Weights.TokenEmbedding
					scaleOff := uintptr(unsafe.Pointer(&emb.Q8[0])) + uintptr(len(emb.Q8))
					if aligned := scaleOff%4 == 0; aligned != inside(unsafe.Pointer(&emb.Scales[0]), data) {
						t.Errorf("embedding scales at offset %% 4 = %d: viewed = %v, want %v", scaleOff%4, !aligned, aligned)
					}
				}
			})
			t.Run("Parse unaligned", func(t *testing.T) {
				buf := make([]byte, len(data)+1)
				copy(buf[1:], data)
				ck, err := Parse("odd.bin", buf[1:])
				if err != nil {
					t.Fatal(err)
				}
				checkQ8(t, ck, tt.cfg, tt.shared, tt.gs, m)
			})
			t.Run("Open", func(t *testing.T) {
				ck, _ := openWritten(t, "q8.bin", data)
				checkQ8(t, ck, tt.cfg, tt.shared, tt.gs, m)
				if err := ck.Close(); err != nil {
					t.Fatal(err)
				}
				if ck.Weights.RMSFinal.F32 != nil || ck.Weights.WQ != nil {
					t.Error("Close did not clear Weights")
				}
			})
		})
	}
}

// TestWriteQ8Rejects checks that WriteQ8 refuses inconsistent input
// before writing a byte.
func TestWriteQ8Rejects(t *testing.T) {
	m := randomQ8(t, tinyGQA, false, 4, 1)
	shortScales := *m.w
	w2 := m.w.W2[0]
	w2.Scales = w2.Scales[1:]
	shortScales.W2 = append([]kernels.Tensor{w2}, m.w.W2[1:]...)
	missingLayer := *m.w
	missingLayer.WK = m.w.WK[:1]
	noClassifier := *m.w
	noClassifier.Classifier = kernels.Tensor{}
	noRMS := *m.w
	noRMS.RMSFinal = kernels.Tensor{DType: kernels.F32}
	fp32Matrix := *m.w
	fp32Matrix.WO = append([]kernels.Tensor{{DType: kernels.F32, F32: make([]float32, tinyGQA.Dim*tinyGQA.Dim)}}, m.w.WO[1:]...)
	bad := tinyGQA
	bad.Heads = 5
	tests := []struct {
		name string
		cfg  Config
		gs   int
		w    *Weights
		want string
	}{
		{"invalid config", bad, 4, m.w, "n_heads"},
		{"zero group size", tinyGQA, 0, m.w, "group_size = 0 must be positive"},
		{"group size not dividing hidden_dim", tinyGQA, 16, m.w, "group_size = 16 does not divide hidden_dim = 24"},
		{"nil weights", tinyGQA, 4, nil, "nil weights"},
		{"short scales", tinyGQA, 4, &shortScales, "w2"},
		{"missing layer", tinyGQA, 4, &missingLayer, "wk"},
		{"missing classifier", tinyGQA, 4, &noClassifier, "classifier"},
		{"missing rms_final", tinyGQA, 4, &noRMS, "rms_final"},
		{"fp32 matrix", tinyGQA, 4, &fp32Matrix, "wo"},
		{"same group size, wrong scale count", tinyGQA, 2, m.w, "group_size = 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sink countWriter
			err := WriteQ8(&sink, tt.cfg, false, tt.gs, tt.w)
			if err == nil || !contains(err.Error(), tt.want) || !contains(err.Error(), "write checkpoint") {
				t.Fatalf("WriteQ8 error %v, want one mentioning %q", err, tt.want)
			}
			if sink != 0 {
				t.Errorf("WriteQ8 wrote %d bytes before failing", sink)
			}
		})
	}
	var sink countWriter
	if err := Write(&sink, FormatQ8, tinyGQA, true, m.w); err == nil || !contains(err.Error(), "WriteQ8") {
		t.Errorf("Write(FormatQ8) = %v, want a pointer to WriteQ8", err)
	}
}

// TestCheckGroupSize checks the group size rule on the tinyllamas shapes.
func TestCheckGroupSize(t *testing.T) {
	tests := []struct {
		shape string
		gs    int
		want  string // empty: valid
	}{
		{"stories260K", 4, ""},
		{"stories260K", 64, "group_size = 64 does not divide hidden_dim = 172"},
		{"stories260K", 8, "group_size = 8 does not divide hidden_dim = 172"},
		{"stories15M", 32, ""},
		{"stories15M", 64, "group_size = 64 does not divide dim = 288"},
		{"stories42M", 64, "group_size = 64 does not divide hidden_dim = 1376"},
		{"stories110M", 64, ""},
		{"stories110M", -1, "group_size = -1 must be positive"},
	}
	for _, tt := range tests {
		cfg, _ := ShapeOf(tt.shape)
		err := cfg.CheckGroupSize(tt.gs)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !contains(err.Error(), tt.want)) {
			t.Errorf("%s.CheckGroupSize(%d) = %v, want %q", tt.shape, tt.gs, err, tt.want)
		}
	}
}

// TestRealQ8Stories260K loads llama2.c's own Q8_0 export of stories260K
// through Open and Parse and spot-checks values and scales against bytes
// read at offsets computed here from runq.c's layout.
func TestRealQ8Stories260K(t *testing.T) {
	path := testdata.Path(t, "models", "stories260K_q80_gs4.bin")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != 521728 {
		t.Fatalf("%s has %d bytes, want 521728", path, len(raw))
	}
	const gs = 4
	c := stories260K
	kv := c.KVDim()
	// Byte offsets, following runq.c's memory_map_weights.
	off := 256
	rmsAtt := off
	off += 4 * c.Layers * c.Dim
	rmsFFN := off
	off += 4 * c.Layers * c.Dim
	rmsFinal := off
	off += 4 * c.Dim
	type qt struct{ q, s int } // byte offsets of one matrix's values and scales
	next := func(size int) qt {
		m := qt{q: off, s: off + size}
		off += size + 4*size/gs
		return m
	}
	emb := next(c.VocabSize * c.Dim)
	var wq, wk, w2 []qt
	for range c.Layers {
		wq = append(wq, next(c.Dim*c.Dim))
	}
	for range c.Layers {
		wk = append(wk, next(kv*c.Dim))
	}
	for range c.Layers { // wv
		next(kv * c.Dim)
	}
	for range c.Layers { // wo
		next(c.Dim * c.Dim)
	}
	for range c.Layers { // w1
		next(c.HiddenDim * c.Dim)
	}
	for range c.Layers {
		w2 = append(w2, next(c.Dim*c.HiddenDim))
	}
	for range c.Layers { // w3
		next(c.HiddenDim * c.Dim)
	}
	if off != len(raw) {
		t.Fatalf("offsets computed here end at %d, file has %d bytes", off, len(raw))
	}

	mapped, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer mapped.Close()
	parsed, err := Parse(path, raw)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	for name, ck := range map[string]*Checkpoint{"Open": mapped, "Parse": parsed} {
		t.Run(name, func(t *testing.T) {
			checkQ8(t, ck, c, true, gs, nil)
			if ck.Format.String() != "q8_0" || ck.Path != path {
				t.Fatalf("format %v path %q", ck.Format, ck.Path)
			}
			w, q := &ck.Weights, &ck.Weights
			i8 := func(o int) int8 { return int8(raw[o]) }
			f32 := func(o int) float32 { return floatAt(raw, o) }
			spots := []struct {
				name      string
				got, want float32
			}{
				{"rms_att[0][0]", w.RMSAtt[0].F32[0], f32(rmsAtt)},
				{"rms_ffn[2][5]", w.RMSFFN[2].F32[5], f32(rmsFFN + 4*(2*c.Dim+5))},
				{"rms_final[last]", w.RMSFinal.F32[c.Dim-1], f32(rmsFinal + 4*(c.Dim-1))},
				{"token_embedding.Q8[100]", float32(q.TokenEmbedding.Q8[100]), float32(i8(emb.q + 100))},
				{"token_embedding.Scales[25]", q.TokenEmbedding.Scales[25], f32(emb.s + 4*25)},
				{"wq[0].Q8[0]", float32(q.WQ[0].Q8[0]), float32(i8(wq[0].q))},
				{"wq[3].Scales[last]", q.WQ[3].Scales[c.Dim*c.Dim/gs-1], f32(wq[3].s + 4*(c.Dim*c.Dim/gs-1))},
				{"wk[4].Q8[7]", float32(q.WK[4].Q8[7]), float32(i8(wk[4].q + 7))},
				{"wk[1].Scales[3]", q.WK[1].Scales[3], f32(wk[1].s + 12)},
				{"w2[2].Q8[last]", float32(q.W2[2].Q8[c.Dim*c.HiddenDim-1]), float32(i8(w2[2].s - 1))},
				{"w2[4].Scales[42]", q.W2[4].Scales[42], f32(w2[4].s + 4*42)},
			}
			for _, s := range spots {
				if s.got != s.want {
					t.Errorf("%s = %v, file has %v", s.name, s.got, s.want)
				}
			}
			// Row 1 of the dequantized embedding, against the file's bytes.
			row := make([]float32, c.Dim)
			ck.Embedding(row, 1)
			for j := range c.Dim {
				i := c.Dim + j
				want := float32(i8(emb.q+i)) * f32(emb.s+4*(i/gs))
				if row[j] != want {
					t.Fatalf("token_embedding[1][%d] = %v, q·s from the file = %v", j, row[j], want)
				}
			}
			if binary.LittleEndian.Uint32(raw[groupSizeOffset:]) != gs {
				t.Fatal("group_size is not at byte 37")
			}
		})
	}
}

// TestQuantize: Quantize refuses mismatched destinations and reports
// non-finite values.
func TestQuantize(t *testing.T) {
	w := []float32{1, 2, 3, 4}
	if err := Quantize(kernels.Tensor{Q8: make([]int8, 4), Scales: make([]float32, 1), GroupSize: 2}, w); err == nil {
		t.Error("one scale for two groups accepted")
	}
	if err := Quantize(kernels.Tensor{Q8: make([]int8, 3), Scales: make([]float32, 1), GroupSize: 2}, w[:3]); err == nil {
		t.Error("a partial group accepted")
	}
	dst := kernels.Tensor{Q8: []int8{9, 9, 9, 9}, Scales: make([]float32, 2), GroupSize: 2}
	if err := Quantize(dst, []float32{0, 0, 127, -63.5}); err != nil {
		t.Fatal(err)
	}
	if dst.Q8[0] != 0 || dst.Q8[1] != 0 || dst.Q8[2] != 127 || dst.Q8[3] != -64 || dst.Scales[0] != 0 || dst.Scales[1] != 1 {
		t.Errorf("got %v %v", dst.Q8, dst.Scales)
	}
	if err := Quantize(kernels.Tensor{Q8: make([]int8, 2), Scales: make([]float32, 1), GroupSize: 2}, []float32{1, float32(math.Inf(1))}); err == nil {
		t.Error("infinite value accepted")
	}
}
