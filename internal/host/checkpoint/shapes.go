package checkpoint

import (
	"github.com/retrollama/retrollama/kernels"
)

// The named model shapes are kernels.Models, the project's one table
// of them; the functions here read it as checkpoint configurations.
// Synthetic models (package synthetic) always share the classifier with the token
// embedding, as the tinyllamas do; TinyLlama-1.1B and Llama-2-7B have a
// separate output matrix of the same shape, so their synthetic files are
// vocab_size×dim smaller than the real ones while every matmul a token
// runs has the real shape.

// KnownShapes lists the model names ShapeOf (and package synthetic) accept, in the
// order of kernels.Models (smallest first).
func KnownShapes() []string {
	var names []string
	for _, s := range kernels.Models() {
		names = append(names, s.Name)
	}
	return names
}

// ShapesOf lists the names of the shapes of one family (kernels.Model's
// Family), smallest first.
func ShapesOf(family string) []string {
	var names []string
	for _, s := range kernels.Models() {
		if s.Family == family {
			names = append(names, s.Name)
		}
	}
	return names
}

// ShapeOf returns the configuration of a known model shape by name, and
// whether the name is known.
func ShapeOf(name string) (Config, bool) {
	m, ok := kernels.ModelNamed(name)
	return Config(m.Shape), ok
}
