package synthetic

import (
	"bytes"
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/kernels"
)

// TestWriteMatchesWrite: the streaming writer's bytes are
// exactly those of Write (fp32) or WriteQ8 (Q8_0) of the model built in
// memory, in every format, for matrices smaller and larger than a chunk
// (the token embedding here spans three), with group sizes that divide the
// chunks (quantized by the workers) and one that does not (3: quantized
// while writing, groups carried across chunks).
func TestWriteMatchesWrite(t *testing.T) {
	cfg := checkpoint.Config{Dim: 96, HiddenDim: 288, Layers: 3, Heads: 4, KVHeads: 2, VocabSize: 1500, SeqLen: 8}
	const seed = 11
	ck, err := FromConfig(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []checkpoint.Format{checkpoint.FormatLegacy, checkpoint.FormatV1} {
		var want, got bytes.Buffer
		if err := checkpoint.Write(&want, f, cfg, true, &ck.Weights); err != nil {
			t.Fatal(err)
		}
		if err := writeFromConfig(&got, cfg, seed, f, 0, nil); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%v: streamed %d bytes differ from Write's %d", f, got.Len(), want.Len())
		}
	}
	for _, gs := range []int{32, 3, 1} {
		q, err := q8FromConfig(cfg, seed, gs, signQuantizer)
		if err != nil {
			t.Fatal(err)
		}
		var want, got bytes.Buffer
		if err := checkpoint.WriteQ8(&want, cfg, true, gs, &q.Weights); err != nil {
			t.Fatal(err)
		}
		if err := writeFromConfig(&got, cfg, seed, checkpoint.FormatQ8, gs, signQuantizer); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("q8_0 gs=%d: streamed %d bytes differ from WriteQ8's %d", gs, got.Len(), want.Len())
		}
	}
}

// TestWriteNamed: a named model streams to what Model's
// model writes, and its file parses back to the table's shape.
func TestWriteNamed(t *testing.T) {
	ck, err := Model("stories260K")
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := Write(&got, "stories260K", checkpoint.FormatLegacy, 0); err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := checkpoint.Write(&want, checkpoint.FormatLegacy, ck.Config, true, &ck.Weights); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Error("stories260K: streamed legacy file differs from Write's")
	}
	back, err := checkpoint.Parse("s260", got.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := checkpoint.ShapeOf("stories260K"); back.Config != want || !back.SharedClassifier {
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

// TestWriteLargeShapes writes the start of the TinyLlama-1.1B
// and Llama-2-7B files (4.1 and 26 GB in fp32) into a writer that fails
// after 8 MB: the headers carry the table's shapes, the first weights are
// the expected ones, the write error comes back wrapped, and the memory
// allocated stays tens of MB (measured: 6 to 9 MB for TinyLlama, 24 to
// 27 MB for Llama-2-7B, most of it the list of 100K chunks), never the GBs.
func TestWriteLargeShapes(t *testing.T) {
	if runtime.GOARCH == "386" || math.MaxInt == math.MaxInt32 {
		t.Skip("these headers describe more than a 32-bit platform addresses")
	}
	const limit = 8 << 20
	for _, name := range []string{"tinyllama-1.1B", "llama2-7B"} {
		cfg, _ := checkpoint.ShapeOf(name)
		for _, f := range []checkpoint.Format{checkpoint.FormatLegacy, checkpoint.FormatV1, checkpoint.FormatQ8} {
			gs := 0
			if f == checkpoint.FormatQ8 {
				gs = 64
			}
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			w := &limitWriter{n: limit, head: make([]byte, 0, 1<<16)}
			err := Write(w, name, f, gs)
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
			header := checkpoint.EncodeHeader(f, cfg, true, checkpoint.Uniform(gs))
			if !bytes.HasPrefix(data, header) {
				t.Errorf("%s %v: header %x, want %x (%v)", name, f, data[:len(header)], header, cfg)
			}
			// The first tensor: legacy files start with the token
			// embedding (±1/sqrt(dim)), the others with the attention
			// RMS-norm weights (1±0.1).
			lo, hi := float32(-1/math.Sqrt(float64(cfg.Dim))), float32(1/math.Sqrt(float64(cfg.Dim)))
			if f != checkpoint.FormatLegacy {
				lo, hi = 0.9, 1.1
			}
			first := data[len(header):]
			for i := 0; i < cfg.Dim; i++ {
				v := math.Float32frombits(uint32(first[4*i]) | uint32(first[4*i+1])<<8 | uint32(first[4*i+2])<<16 | uint32(first[4*i+3])<<24)
				if v < lo || v > hi {
					t.Fatalf("%s %v: weight %d is %v, want within [%v, %v]", name, f, i, v, lo, hi)
				}
			}
		}
	}
}

// TestWriteRejects: bad names, formats, group sizes and a
// failing quantizer are errors before or while writing.
func TestWriteRejects(t *testing.T) {
	boom := errors.New("boom")
	fail := func(kernels.Tensor, []float32) error { return boom }
	stories260K, _ := checkpoint.ShapeOf("stories260K")
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"unknown", Write(&bytes.Buffer{}, "stories1B", checkpoint.FormatV1, 0), `unknown synthetic model "stories1B"`},
		{"format", Write(&bytes.Buffer{}, "stories260K", checkpoint.Format(9), 0), "unknown format"},
		{"group size", Write(&bytes.Buffer{}, "stories260K", checkpoint.FormatQ8, 64), "group_size = 64 does not divide hidden_dim = 172"},
		{"no quantizer", writeFromConfig(&bytes.Buffer{}, stories260K, 1, checkpoint.FormatQ8, 4, nil), "no quantizer"},
		{"quantizer fails", writeFromConfig(&bytes.Buffer{}, stories260K, 1, checkpoint.FormatQ8, 4, fail), "quantizing token_embedding (vocab_size × dim): boom"},
		{"quantizer fails, writer side", writeFromConfig(&bytes.Buffer{}, checkpoint.Config{Dim: 6, HiddenDim: 12, Layers: 1, Heads: 3, KVHeads: 3, VocabSize: 9, SeqLen: 4}, 1, checkpoint.FormatQ8, 3, fail), "quantizing token_embedding (vocab_size × dim): boom"},
	}
	for _, tt := range tests {
		if tt.err == nil || !strings.Contains(tt.err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", tt.name, tt.err, tt.want)
		}
	}
}

// TestSize: the bytes a synthetic model holds, without building
// it: fp32 is 4 bytes a weight, Q8_0 one byte a matrix value plus a
// float32 scale per group and the float32 RMS-norm vectors.
func TestSize(t *testing.T) {
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
		cfg, _ := checkpoint.ShapeOf(tt.name)
		got, err := Size(cfg, tt.gs)
		if err != nil || got != tt.want {
			t.Errorf("%s gs=%d: %d, %v; want %d", tt.name, tt.gs, got, err, tt.want)
		}
	}
	ck, _ := Model("stories260K")
	cfg, _ := checkpoint.ShapeOf("stories260K")
	held := 4 * (len(ck.Weights.TokenEmbedding.F32) + len(ck.Weights.RMSFinal.F32)) // the classifier is the token embedding
	for _, ts := range [][]kernels.Tensor{ck.Weights.RMSAtt, ck.Weights.WQ, ck.Weights.WK, ck.Weights.WV, ck.Weights.WO,
		ck.Weights.RMSFFN, ck.Weights.W1, ck.Weights.W2, ck.Weights.W3} {
		for _, x := range ts {
			held += 4 * len(x.F32)
		}
	}
	if got, _ := Size(cfg, 0); got != int64(held) {
		t.Errorf("stories260K: Size %d, the model holds %d", got, held)
	}
	if _, err := Size(checkpoint.Config{}, 0); err == nil {
		t.Error("an invalid config has a size")
	}
}
