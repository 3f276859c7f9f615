package checkpoint

import (
	"fmt"
	"strings"
)

// NamedShape is one model shape known by name: the one table that
// synthetic models ("--synthetic NAME", "retrollama synthetic NAME"),
// "bench ops --sweep" and the help texts read, so that adding a shape here
// adds it everywhere. (kernels/conformance keeps its own cases: kernels may
// not import host.)
type NamedShape struct {
	Name   string // "stories15M", "tinyllama-1.1B"
	Config Config
	// Family says whose checkpoints have this shape: "tinyllamas" for
	// karpathy's llama2.c models, which "bench ops --sweep" measures by
	// default, "llama" for the larger Llama-architecture models.
	Family string
	// Of names the real model whose header this is.
	Of string
}

// Shape families of NamedShape.Family.
const (
	FamilyTinyllamas = "tinyllamas"
	FamilyLlama      = "llama"
)

// Shapes returns the named model shapes, smallest first. It builds a
// fresh slice on each call so that there is no package-level mutable
// state. Synthetic models always share the classifier with the token
// embedding, as the tinyllamas do; TinyLlama-1.1B and Llama-2-7B have a
// separate output matrix of the same shape, so their synthetic files are
// vocab_size×dim smaller than the real ones while every matmul a token
// runs has the real shape.
func Shapes() []NamedShape {
	return []NamedShape{
		{"stories260K", Config{Dim: 64, HiddenDim: 172, Layers: 5, Heads: 8, KVHeads: 4, VocabSize: 512, SeqLen: 512},
			FamilyTinyllamas, "karpathy/tinyllamas stories260K"},
		{"stories15M", Config{Dim: 288, HiddenDim: 768, Layers: 6, Heads: 6, KVHeads: 6, VocabSize: 32000, SeqLen: 256},
			FamilyTinyllamas, "karpathy/tinyllamas stories15M"},
		{"stories42M", Config{Dim: 512, HiddenDim: 1376, Layers: 8, Heads: 8, KVHeads: 8, VocabSize: 32000, SeqLen: 1024},
			FamilyTinyllamas, "karpathy/tinyllamas stories42M"},
		{"stories110M", Config{Dim: 768, HiddenDim: 2048, Layers: 12, Heads: 12, KVHeads: 12, VocabSize: 32000, SeqLen: 1024},
			FamilyTinyllamas, "karpathy/tinyllamas stories110M"},
		// Grouped-query attention: 32 query heads share 4 KV heads.
		{"tinyllama-1.1B", Config{Dim: 2048, HiddenDim: 5632, Layers: 22, Heads: 32, KVHeads: 4, VocabSize: 32000, SeqLen: 2048},
			FamilyLlama, "TinyLlama-1.1B"},
		{"llama2-7B", Config{Dim: 4096, HiddenDim: 11008, Layers: 32, Heads: 32, KVHeads: 32, VocabSize: 32000, SeqLen: 4096},
			FamilyLlama, "Llama-2-7B"},
	}
}

// KnownShapes lists the model names Synthetic and ShapeOf accept, in the
// order of Shapes (smallest first).
func KnownShapes() []string {
	var names []string
	for _, s := range Shapes() {
		names = append(names, s.Name)
	}
	return names
}

// ShapesOf lists the names of the shapes of one family, smallest first.
func ShapesOf(family string) []string {
	var names []string
	for _, s := range Shapes() {
		if s.Family == family {
			names = append(names, s.Name)
		}
	}
	return names
}

// ShapeOf returns the configuration of a known model shape by name, and
// whether the name is known.
func ShapeOf(name string) (Config, bool) {
	for _, s := range Shapes() {
		if s.Name == name {
			return s.Config, true
		}
	}
	return Config{}, false
}

// unknownShape is the error for a name ShapeOf does not know.
func unknownShape(name string) error {
	return fmt.Errorf("unknown synthetic model %q (known: %s)", name, strings.Join(KnownShapes(), ", "))
}
