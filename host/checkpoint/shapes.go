package checkpoint

import (
	"fmt"
	"slices"
	"strings"
)

// shapes returns the tinyllamas model shapes by name. It builds a fresh
// map on each call so that there is no package-level mutable state.
func shapes() map[string]Config {
	return map[string]Config{
		"stories260K": {Dim: 64, HiddenDim: 172, Layers: 5, Heads: 8, KVHeads: 4, VocabSize: 512, SeqLen: 512},
		"stories15M":  {Dim: 288, HiddenDim: 768, Layers: 6, Heads: 6, KVHeads: 6, VocabSize: 32000, SeqLen: 256},
		"stories42M":  {Dim: 512, HiddenDim: 1376, Layers: 8, Heads: 8, KVHeads: 8, VocabSize: 32000, SeqLen: 1024},
		"stories110M": {Dim: 768, HiddenDim: 2048, Layers: 12, Heads: 12, KVHeads: 12, VocabSize: 32000, SeqLen: 1024},
	}
}

// KnownShapes lists, sorted, the model names Synthetic and ShapeOf accept:
// the shapes of karpathy's tinyllamas checkpoints.
func KnownShapes() []string {
	names := make([]string, 0, 4)
	for n := range shapes() {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// ShapeOf returns the configuration of a known model shape by name, and
// whether the name is known.
func ShapeOf(name string) (Config, bool) {
	c, ok := shapes()[name]
	return c, ok
}

// unknownShape is the error for a name ShapeOf does not know.
func unknownShape(name string) error {
	return fmt.Errorf("unknown synthetic model %q (known: %s)", name, strings.Join(KnownShapes(), ", "))
}
