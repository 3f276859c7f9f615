package kernels

// Model is a well-known model's shape, by name: the one table of model
// shapes the project uses — conformance cases, the engine's synthetic
// models ("--synthetic NAME"), "bench ops --sweep" and the help texts all
// read it, so that adding a shape here adds it everywhere. The shapes are
// the real checkpoints' headers.
type Model struct {
	Name  string // "stories15M", "tinyllama-1.1B"
	Shape Shape
	// Family says whose checkpoints have this shape: FamilyTinyllamas for
	// karpathy's llama2.c models, which "bench ops --sweep" measures by
	// default, FamilyLlama for the larger Llama-architecture models.
	Family string
	// Of names the real model whose header this is.
	Of string
}

// Families of Model.Family.
const (
	FamilyTinyllamas = "tinyllamas"
	FamilyLlama      = "llama"
)

// Models returns the well-known model shapes, smallest first. It builds a
// fresh slice on each call so that there is no package-level mutable
// state.
func Models() []Model {
	return []Model{
		{"stories260K", Shape{Dim: 64, HiddenDim: 172, Layers: 5, Heads: 8, KVHeads: 4, VocabSize: 512, SeqLen: 512},
			FamilyTinyllamas, "karpathy/tinyllamas stories260K"},
		{"stories15M", Shape{Dim: 288, HiddenDim: 768, Layers: 6, Heads: 6, KVHeads: 6, VocabSize: 32000, SeqLen: 256},
			FamilyTinyllamas, "karpathy/tinyllamas stories15M"},
		{"stories42M", Shape{Dim: 512, HiddenDim: 1376, Layers: 8, Heads: 8, KVHeads: 8, VocabSize: 32000, SeqLen: 1024},
			FamilyTinyllamas, "karpathy/tinyllamas stories42M"},
		{"stories110M", Shape{Dim: 768, HiddenDim: 2048, Layers: 12, Heads: 12, KVHeads: 12, VocabSize: 32000, SeqLen: 1024},
			FamilyTinyllamas, "karpathy/tinyllamas stories110M"},
		// Grouped-query attention: 32 query heads share 4 KV heads.
		{"tinyllama-1.1B", Shape{Dim: 2048, HiddenDim: 5632, Layers: 22, Heads: 32, KVHeads: 4, VocabSize: 32000, SeqLen: 2048},
			FamilyLlama, "TinyLlama-1.1B"},
		{"llama2-7B", Shape{Dim: 4096, HiddenDim: 11008, Layers: 32, Heads: 32, KVHeads: 32, VocabSize: 32000, SeqLen: 4096},
			FamilyLlama, "Llama-2-7B"},
	}
}

// ModelNamed returns the well-known model of that name, and whether there
// is one.
func ModelNamed(name string) (Model, bool) {
	for _, m := range Models() {
		if m.Name == name {
			return m, true
		}
	}
	return Model{}, false
}
