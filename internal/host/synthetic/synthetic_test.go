package synthetic

import (
	"bytes"
	"encoding/binary"
	"hash/fnv"
	"io"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/kernels"
)

// TestSynthetic checks the named synthetic models: shape, path, shared
// classifier, value ranges, determinism, and that every tensor lives in
// one backing store.
func TestSynthetic(t *testing.T) {
	tests := []struct {
		name string
		cfg  checkpoint.Config
	}{
		{"stories260K", checkpoint.Config{Dim: 64, HiddenDim: 172, Layers: 5, Heads: 8, KVHeads: 4, VocabSize: 512, SeqLen: 512}},
		{"stories15M", checkpoint.Config{Dim: 288, HiddenDim: 768, Layers: 6, Heads: 6, KVHeads: 6, VocabSize: 32000, SeqLen: 256}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ck, err := Model(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if ck.Config != tt.cfg || ck.Path != "synthetic:"+tt.name || !ck.SharedClassifier || ck.Format != checkpoint.FormatV1 {
				t.Fatalf("got %v path %q shared %v format %v", ck.Config, ck.Path, ck.SharedClassifier, ck.Format)
			}
			w := &ck.Weights
			checkShape(t, tt.cfg, w)
			inRange(t, "rms_final", w.RMSFinal.F32, 0.9, 1.1)
			inRange(t, "rms_att[0]", w.RMSAtt[0].F32, 0.9, 1.1)
			lim := 1 / math.Sqrt(float64(tt.cfg.Dim))
			inRange(t, "wq[0]", w.WQ[0].F32, -lim, lim)
			inRange(t, "token_embedding", w.TokenEmbedding.F32, -lim, lim)
			lim2 := 1 / math.Sqrt(float64(tt.cfg.HiddenDim))
			inRange(t, "w2[last]", w.W2[tt.cfg.Layers-1].F32, -lim2, lim2)
			if mean := average(w.W1[0].F32); math.Abs(mean) > lim/10 {
				t.Errorf("w1[0] mean %v is far from 0", mean)
			}
			oneStore(t, ck)

			again, err := Model(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(encoded(t, ck), encoded(t, again)) {
				t.Error("the same name gave different weights")
			}
		})
	}
}

// TestSyntheticSeeds checks that different seeds give different weights
// and that the path records the configuration and seed.
func TestSyntheticSeeds(t *testing.T) {
	a, err := FromConfig(tinyGQA, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := FromConfig(tinyGQA, 2)
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(a.Weights.WQ, b.Weights.WQ) {
		t.Error("seeds 1 and 2 gave the same wq")
	}
	if !strings.HasPrefix(a.Path, "synthetic:") || !strings.Contains(a.Path, "seed=1") || !strings.Contains(a.Path, "n_kv_heads=2") {
		t.Errorf("path %q does not describe the model", a.Path)
	}
}

// TestSyntheticRejects checks the errors for unknown names and bad or
// oversized configurations.
func TestSyntheticRejects(t *testing.T) {
	if _, err := Model("stories1B"); err == nil || !strings.Contains(err.Error(), `"stories1B"`) || !strings.Contains(err.Error(), "stories15M") {
		t.Errorf("Model(stories1B) = %v, want an error naming it and the known shapes", err)
	}
	tests := []struct {
		name string
		cfg  checkpoint.Config
		want string
	}{
		{"zero value", checkpoint.Config{}, "dim = 0"},
		{"odd head size", checkpoint.Config{Dim: 6, HiddenDim: 8, Layers: 1, Heads: 2, KVHeads: 2, VocabSize: 4, SeqLen: 4}, "odd head size"},
		{"too big", checkpoint.Config{Dim: 1 << 16, HiddenDim: 1 << 16, Layers: 64, Heads: 8, KVHeads: 8, VocabSize: 1 << 16, SeqLen: 8}, "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromConfig(tt.cfg, 0)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "checkpoint synthetic:") {
				t.Fatalf("error %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

// inRange fails if any value of xs lies outside [lo, hi].
func inRange(t *testing.T, name string, xs []float32, lo, hi float64) {
	t.Helper()
	for i, x := range xs {
		if float64(x) < lo || float64(x) > hi {
			t.Fatalf("%s[%d] = %v, outside [%v, %v]", name, i, x, lo, hi)
		}
	}
}

// average is the mean of xs.
func average(xs []float32) float64 {
	var s float64
	for _, x := range xs {
		s += float64(x)
	}
	return s / float64(len(xs))
}

// oneStore checks that the tensors tile a single contiguous allocation:
// each begins where the previous one (in checkpoint.FormatV1 order) ends.
func oneStore(t *testing.T, ck *checkpoint.Checkpoint) {
	t.Helper()
	w := &ck.Weights
	var order []kernels.Tensor
	order = append(order, w.RMSAtt...)
	order = append(order, w.RMSFFN...)
	order = append(order, w.RMSFinal, w.TokenEmbedding)
	for _, ts := range [][]kernels.Tensor{w.WQ, w.WK, w.WV, w.WO, w.W1, w.W2, w.W3} {
		order = append(order, ts...)
	}
	for i := 1; i < len(order); i++ {
		prev, cur := order[i-1].F32, order[i].F32
		end := uintptr(unsafe.Pointer(&prev[0])) + 4*uintptr(len(prev))
		if uintptr(unsafe.Pointer(&cur[0])) != end {
			t.Fatalf("tensor %d does not follow tensor %d in one backing store", i, i-1)
		}
	}
}

// BenchmarkSynthetic15M measures building the stories15M synthetic model.
func BenchmarkSynthetic15M(b *testing.B) {
	for b.Loop() {
		if _, err := Model("stories15M"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSynthetic110M measures building the largest synthetic model,
// which should take well under two seconds.
func BenchmarkSynthetic110M(b *testing.B) {
	for b.Loop() {
		if _, err := Model("stories110M"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSyntheticStable pins the synthetic weights: they must not depend on
// GOMAXPROCS (the fill is concurrent) nor change silently between
// versions or platforms, since other packages' tests compare against
// outputs computed from them.
func TestSyntheticStable(t *testing.T) {
	digest := func() uint64 {
		ck, err := Model("stories260K")
		if err != nil {
			t.Fatal(err)
		}
		h := fnv.New64a()
		var b [4]byte
		for _, ts := range [][]kernels.Tensor{{ck.Weights.TokenEmbedding}, ck.Weights.RMSAtt, ck.Weights.WQ,
			ck.Weights.WK, ck.Weights.WV, ck.Weights.WO, ck.Weights.RMSFFN, ck.Weights.W1,
			ck.Weights.W2, ck.Weights.W3, {ck.Weights.RMSFinal}} {
			for _, tensor := range ts {
				for _, x := range tensor.F32 {
					binary.LittleEndian.PutUint32(b[:], math.Float32bits(x))
					h.Write(b[:])
				}
			}
		}
		return h.Sum64()
	}
	const want = 0x6e3997b848929621
	prev := runtime.GOMAXPROCS(1)
	one := digest()
	runtime.GOMAXPROCS(max(prev, 4))
	many := digest()
	runtime.GOMAXPROCS(prev)
	if one != many {
		t.Fatalf("digest with GOMAXPROCS=1 %#x differs from GOMAXPROCS=%d %#x", one, max(prev, 4), many)
	}
	if one != want {
		t.Errorf("synthetic stories260K digest %#x, want %#x: the generator changed", one, uint64(want))
	}
}

// tinyGQA is a small shape with grouped-query attention (4 query heads
// sharing 2 key/value heads).
var tinyGQA = checkpoint.Config{Dim: 16, HiddenDim: 24, Layers: 2, Heads: 4, KVHeads: 2, VocabSize: 11, SeqLen: 8}

// checkShape fails unless every tensor of w has the size cfg implies
// (checkpoint.Write checks them) and the classifier is the token
// embedding.
func checkShape(tb testing.TB, cfg checkpoint.Config, w *checkpoint.Weights) {
	tb.Helper()
	if err := checkpoint.Write(io.Discard, checkpoint.FormatV1, cfg, true, w); err != nil {
		tb.Fatal(err)
	}
	if &w.Classifier.F32[0] != &w.TokenEmbedding.F32[0] {
		tb.Fatal("the classifier is not the token embedding")
	}
}

// encoded is ck written in checkpoint.FormatV1, to compare models.
func encoded(tb testing.TB, ck *checkpoint.Checkpoint) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := checkpoint.Write(&buf, checkpoint.FormatV1, ck.Config, ck.SharedClassifier, &ck.Weights); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
