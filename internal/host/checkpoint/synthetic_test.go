package checkpoint

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/retrollama/retrollama/kernels"
)

// TestSynthetic checks the named synthetic models: shape, path, shared
// classifier, value ranges, determinism, and that every tensor lives in
// one backing store.
func TestSynthetic(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"stories260K", Config{Dim: 64, HiddenDim: 172, Layers: 5, Heads: 8, KVHeads: 4, VocabSize: 512, SeqLen: 512}},
		{"stories15M", Config{Dim: 288, HiddenDim: 768, Layers: 6, Heads: 6, KVHeads: 6, VocabSize: 32000, SeqLen: 256}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ck, err := Synthetic(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if ck.Config != tt.cfg || ck.Path != "synthetic:"+tt.name || !ck.SharedClassifier || ck.Format != FormatV1 {
				t.Fatalf("got %v path %q shared %v format %v", ck.Config, ck.Path, ck.SharedClassifier, ck.Format)
			}
			w := &ck.Weights
			checkShape(t, tt.cfg, true, w)
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

			again, err := Synthetic(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			sameWeights(t, w, &again.Weights)
		})
	}
}

// TestSyntheticSeeds checks that different seeds give different weights
// and that the path records the configuration and seed.
func TestSyntheticSeeds(t *testing.T) {
	a, err := SyntheticFromConfig(tinyGQA, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := SyntheticFromConfig(tinyGQA, 2)
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
	if _, err := Synthetic("stories1B"); err == nil || !strings.Contains(err.Error(), `"stories1B"`) || !strings.Contains(err.Error(), "stories15M") {
		t.Errorf("Synthetic(stories1B) = %v, want an error naming it and the known shapes", err)
	}
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"zero value", Config{}, "dim = 0"},
		{"odd head size", Config{Dim: 6, HiddenDim: 8, Layers: 1, Heads: 2, KVHeads: 2, VocabSize: 4, SeqLen: 4}, "odd head size"},
		{"too big", Config{Dim: 1 << 16, HiddenDim: 1 << 16, Layers: 64, Heads: 8, KVHeads: 8, VocabSize: 1 << 16, SeqLen: 8}, "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := SyntheticFromConfig(tt.cfg, 0)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "checkpoint synthetic:") {
				t.Fatalf("error %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

// TestShapes checks the shape table against the real models' headers
// (the tinyllamas' config fields; TinyLlama-1.1B's and Llama-2-7B's
// config.json: hidden_size, intermediate_size, num_hidden_layers,
// num_attention_heads, num_key_value_heads, vocab_size,
// max_position_embeddings).
func TestShapes(t *testing.T) {
	want := map[string]Config{
		"stories260K":    {Dim: 64, HiddenDim: 172, Layers: 5, Heads: 8, KVHeads: 4, VocabSize: 512, SeqLen: 512},
		"stories15M":     {Dim: 288, HiddenDim: 768, Layers: 6, Heads: 6, KVHeads: 6, VocabSize: 32000, SeqLen: 256},
		"stories42M":     {Dim: 512, HiddenDim: 1376, Layers: 8, Heads: 8, KVHeads: 8, VocabSize: 32000, SeqLen: 1024},
		"stories110M":    {Dim: 768, HiddenDim: 2048, Layers: 12, Heads: 12, KVHeads: 12, VocabSize: 32000, SeqLen: 1024},
		"tinyllama-1.1B": {Dim: 2048, HiddenDim: 5632, Layers: 22, Heads: 32, KVHeads: 4, VocabSize: 32000, SeqLen: 2048},
		"llama2-7B":      {Dim: 4096, HiddenDim: 11008, Layers: 32, Heads: 32, KVHeads: 32, VocabSize: 32000, SeqLen: 4096},
	}
	names := KnownShapes()
	if !reflect.DeepEqual(names, []string{"stories260K", "stories15M", "stories42M", "stories110M", "tinyllama-1.1B", "llama2-7B"}) {
		t.Errorf("KnownShapes() = %v", names)
	}
	if got := ShapesOf(kernels.FamilyTinyllamas); !reflect.DeepEqual(got, names[:4]) {
		t.Errorf("ShapesOf(tinyllamas) = %v", got)
	}
	if got := ShapesOf(kernels.FamilyLlama); !reflect.DeepEqual(got, names[4:]) {
		t.Errorf("ShapesOf(llama) = %v", got)
	}
	// Smallest first: every weight count above the one before.
	prev := int64(0)
	for _, s := range kernels.Models() {
		n, err := weightBytes(layout(Config(s.Shape), FormatV1, true), GroupSizes{})
		if err != nil || n <= prev || s.Of == "" || s.Family == "" {
			t.Errorf("%s: %d bytes (after %d), %v, of %q, family %q", s.Name, n, prev, err, s.Of, s.Family)
		}
		prev = n
	}
	for _, n := range names {
		got, ok := ShapeOf(n)
		if !ok || got != want[n] {
			t.Errorf("ShapeOf(%q) = %v, %v; want %v", n, got, ok, want[n])
		}
		if err := got.Validate(); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	if _, ok := ShapeOf("stories1B"); ok {
		t.Error("ShapeOf(stories1B) reported a shape")
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
// each begins where the previous one (in FormatV1 order) ends.
func oneStore(t *testing.T, ck *Checkpoint) {
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
		if _, err := Synthetic("stories15M"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSynthetic110M measures building the largest synthetic model,
// which should take well under two seconds.
func BenchmarkSynthetic110M(b *testing.B) {
	for b.Loop() {
		if _, err := Synthetic("stories110M"); err != nil {
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
		ck, err := Synthetic("stories260K")
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
