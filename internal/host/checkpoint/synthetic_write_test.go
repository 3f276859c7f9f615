package checkpoint

import (
	"bytes"
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/kernels"
)

// TestWriteSyntheticMatchesWrite: the streaming writer's bytes are
// exactly those of Write (fp32) or WriteQ8 (Q8_0) of the model built in
// memory, in every format, for matrices smaller and larger than a chunk
// (the token embedding here spans three), with group sizes that divide the
// chunks (quantized by the workers) and one that does not (3: quantized
// while writing, groups carried across chunks).
func TestWriteSyntheticMatchesWrite(t *testing.T) {
	cfg := Config{Dim: 96, HiddenDim: 288, Layers: 3, Heads: 4, KVHeads: 2, VocabSize: 1500, SeqLen: 8}
	const seed = 11
	ck, err := SyntheticFromConfig(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []Format{FormatLegacy, FormatV1} {
		var want, got bytes.Buffer
		if err := Write(&want, f, cfg, true, &ck.Weights); err != nil {
			t.Fatal(err)
		}
		if err := WriteSyntheticFromConfig(&got, cfg, seed, f, 0, nil); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%v: streamed %d bytes differ from Write's %d", f, got.Len(), want.Len())
		}
	}
	for _, gs := range []int{32, 3, 1} {
		q, err := SyntheticQ8FromConfig(cfg, seed, gs, signQuantizer)
		if err != nil {
			t.Fatal(err)
		}
		var want, got bytes.Buffer
		if err := WriteQ8(&want, cfg, true, gs, &q.Weights); err != nil {
			t.Fatal(err)
		}
		if err := WriteSyntheticFromConfig(&got, cfg, seed, FormatQ8, gs, signQuantizer); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("q8_0 gs=%d: streamed %d bytes differ from WriteQ8's %d", gs, got.Len(), want.Len())
		}
	}
}

// TestWriteSyntheticNamed: a named model streams to what Synthetic's
// model writes, and its file parses back to the table's shape.
func TestWriteSyntheticNamed(t *testing.T) {
	ck, err := Synthetic("stories260K")
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := WriteSynthetic(&got, "stories260K", FormatLegacy, 0, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), encode(t, FormatLegacy, ck)) {
		t.Error("stories260K: streamed legacy file differs from Write's")
	}
	back, err := Parse("s260", got.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := ShapeOf("stories260K"); back.Config != want || !back.SharedClassifier {
		t.Errorf("parsed back %v shared=%v", back.Config, back.SharedClassifier)
	}
}

// limitWriter accepts n bytes, keeping the first 64 KiB, then fails.
type limitWriter struct {
	head    []byte
	written int
	n       int
}

var errDiskFull = errors.New("disk full")

func (w *limitWriter) Write(p []byte) (int, error) {
	k := min(len(p), w.n-w.written)
	w.head = append(w.head, p[:min(k, max(0, 1<<16-len(w.head)))]...)
	w.written += k
	if k < len(p) {
		return k, errDiskFull
	}
	return k, nil
}

// TestWriteSyntheticLargeShapes writes the start of the TinyLlama-1.1B
// and Llama-2-7B files (4.1 and 26 GB in fp32) into a writer that fails
// after 8 MB: the headers carry the table's shapes, the first weights are
// the expected ones, the write error comes back wrapped, and the memory
// allocated stays tens of MB (measured: 6 to 9 MB for TinyLlama, 24 to
// 27 MB for Llama-2-7B, most of it the list of 100K chunks), never the GBs.
func TestWriteSyntheticLargeShapes(t *testing.T) {
	if runtime.GOARCH == "386" || math.MaxInt == math.MaxInt32 {
		t.Skip("these headers describe more than a 32-bit platform addresses")
	}
	const limit = 8 << 20
	for _, name := range []string{"tinyllama-1.1B", "llama2-7B"} {
		cfg, _ := ShapeOf(name)
		for _, f := range []Format{FormatLegacy, FormatV1, FormatQ8} {
			gs, quantize := 0, QuantizeFunc(nil)
			if f == FormatQ8 {
				gs, quantize = 64, signQuantizer
			}
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			w := &limitWriter{n: limit, head: make([]byte, 0, 1<<16)}
			err := WriteSynthetic(w, name, f, gs, quantize)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, errDiskFull) || !strings.Contains(err.Error(), "write synthetic:") {
				t.Fatalf("%s %v: err = %v, want the writer's error wrapped", name, f, err)
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("%s %v: allocated %.1f MB", name, f, float64(alloc)/1e6)
			if alloc > 32<<20 {
				t.Errorf("%s %v: allocated %.1f MB to write %d MB", name, f, float64(alloc)/1e6, limit>>20)
			}
			data := w.head
			h, err := readHeader(data)
			if err != nil {
				t.Fatalf("%s %v: %v", name, f, err)
			}
			if h.format != f || h.config != cfg || !h.shared || (f == FormatQ8 && h.groupSize != gs) {
				t.Errorf("%s %v: header %+v, want %v", name, f, h, cfg)
			}
			// The first tensor: legacy files start with the token
			// embedding (±1/sqrt(dim)), the others with the attention
			// RMS-norm weights (1±0.1).
			lo, hi := float32(-1/math.Sqrt(float64(cfg.Dim))), float32(1/math.Sqrt(float64(cfg.Dim)))
			if f != FormatLegacy {
				lo, hi = 0.9, 1.1
			}
			first := data[f.headerSize():]
			for i := 0; i < cfg.Dim; i++ {
				v := math.Float32frombits(uint32(first[4*i]) | uint32(first[4*i+1])<<8 | uint32(first[4*i+2])<<16 | uint32(first[4*i+3])<<24)
				if v < lo || v > hi {
					t.Fatalf("%s %v: weight %d is %v, want within [%v, %v]", name, f, i, v, lo, hi)
				}
			}
		}
	}
}

// TestWriteSyntheticRejects: bad names, formats, group sizes and a
// failing quantizer are errors before or while writing.
func TestWriteSyntheticRejects(t *testing.T) {
	boom := errors.New("boom")
	fail := func(kernels.Tensor, []float32) error { return boom }
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"unknown", WriteSynthetic(&bytes.Buffer{}, "stories1B", FormatV1, 0, nil), `unknown synthetic model "stories1B"`},
		{"format", WriteSynthetic(&bytes.Buffer{}, "stories260K", Format(9), 0, nil), "unknown format"},
		{"group size", WriteSynthetic(&bytes.Buffer{}, "stories260K", FormatQ8, 64, signQuantizer), "group_size = 64 does not divide hidden_dim = 172"},
		{"no quantizer", WriteSynthetic(&bytes.Buffer{}, "stories260K", FormatQ8, 4, nil), "no QuantizeFunc"},
		{"quantizer fails", WriteSynthetic(&bytes.Buffer{}, "stories260K", FormatQ8, 4, fail), "quantizing token_embedding (vocab_size × dim): boom"},
		{"quantizer fails, writer side", WriteSyntheticFromConfig(&bytes.Buffer{}, Config{Dim: 6, HiddenDim: 12, Layers: 1, Heads: 3, KVHeads: 3, VocabSize: 9, SeqLen: 4}, 1, FormatQ8, 3, fail), "quantizing token_embedding (vocab_size × dim): boom"},
	}
	for _, tt := range tests {
		if tt.err == nil || !strings.Contains(tt.err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", tt.name, tt.err, tt.want)
		}
	}
}

// TestSyntheticSize: the bytes a synthetic model holds, without building
// it: fp32 is 4 bytes a weight, Q8_0 one byte a matrix value plus a
// float32 scale per group and the float32 RMS-norm vectors.
func TestSyntheticSize(t *testing.T) {
	for _, tt := range []struct {
		name string
		gs   int
		want int64
	}{
		{"stories15M", 0, 4 * (32000*288 + 6*(4*288*288+3*768*288) + 13*288)},
		{"stories15M", 32, (32000*288+6*(4*288*288+3*768*288))*(1+4.0/32) + 4*13*288},
		{"tinyllama-1.1B", 0, 4 * (32000*2048 + 22*(2*2048*2048+2*256*2048+3*5632*2048) + 45*2048)},
		{"llama2-7B", 0, 4 * (32000*4096 + 32*(4*4096*4096+3*11008*4096) + 65*4096)},
	} {
		cfg, _ := ShapeOf(tt.name)
		got, err := SyntheticSize(cfg, tt.gs)
		if err != nil || got != tt.want {
			t.Errorf("%s gs=%d: %d, %v; want %d", tt.name, tt.gs, got, err, tt.want)
		}
	}
	ck, _ := Synthetic("stories260K")
	cfg, _ := ShapeOf("stories260K")
	held := 0
	for name, ts := range tensorList(&ck.Weights) {
		for _, x := range ts {
			if name == "classifier" { // the token embedding's slice
				continue
			}
			held += 4 * len(x.F32)
		}
	}
	if got, _ := SyntheticSize(cfg, 0); got != int64(held) {
		t.Errorf("stories260K: SyntheticSize %d, the model holds %d", got, held)
	}
	if _, err := SyntheticSize(Config{}, 0); err == nil {
		t.Error("an invalid config has a size")
	}
}
