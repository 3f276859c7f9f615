package checkpoint

import (
	"reflect"
	"testing"

	"github.com/retrollama/retrollama/kernels"
)

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
		n, err := WeightBytes(Config(s.Shape), FormatV1, true, GroupSizes{})
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
