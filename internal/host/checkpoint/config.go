package checkpoint

import (
	"fmt"
	"math"

	"github.com/retrollama/retrollama/kernels"
)

// Config is the model shape stored in a checkpoint header (llama2.c's
// Config struct), with the classifier-sharing flag kept separately in
// Checkpoint because the two formats encode it differently. It is the
// kernel contract's kernels.Shape (one definition of the fields and of
// the widths derived from them), given the header's methods: String,
// Validate and the group-size checks. kernels.Shape(c) is the shape a
// provider is initialised with.
type Config kernels.Shape

// HeadSize is the width of one attention head, Dim/Heads (kernels.Shape's).
func (c Config) HeadSize() int { return kernels.Shape(c).HeadSize() }

// KVDim is the width of the key and value projections, HeadSize()*KVHeads
// (kernels.Shape's), which is smaller than Dim for grouped-query
// attention and cannot overflow a 32-bit int for any valid configuration.
func (c Config) KVDim() int { return kernels.Shape(c).KVDim() }

// String renders the configuration with llama2.c's field names, so that it
// can be logged and used in synthetic checkpoint paths.
func (c Config) String() string {
	return fmt.Sprintf("dim=%d hidden_dim=%d n_layers=%d n_heads=%d n_kv_heads=%d vocab_size=%d seq_len=%d",
		c.Dim, c.HiddenDim, c.Layers, c.Heads, c.KVHeads, c.VocabSize, c.SeqLen)
}

// field pairs a header field's llama2.c name with its value, in header order.
type field struct {
	name  string
	value int
}

// fields lists the header fields in file order.
func (c Config) fields() []field {
	return []field{
		{"dim", c.Dim}, {"hidden_dim", c.HiddenDim}, {"n_layers", c.Layers},
		{"n_heads", c.Heads}, {"n_kv_heads", c.KVHeads}, {"vocab_size", c.VocabSize},
		{"seq_len", c.SeqLen},
	}
}

// Validate reports whether the shape is one this package can load, write
// and run: every field positive and representable in the header's int32,
// heads dividing the width evenly with an even head size (RoPE rotates
// pairs), key/value heads dividing the query heads, and every size the
// model implies (weights in the largest layout, and the key/value cache)
// computable without overflow and addressable on this platform. It is
// checked before any size derived from the shape is used to allocate.
// Errors name the offending header field.
func (c Config) Validate() error {
	for _, f := range c.fields() {
		if f.value <= 0 {
			return fmt.Errorf("header field %s = %d must be positive", f.name, f.value)
		}
		if int64(f.value) > math.MaxInt32 {
			return fmt.Errorf("header field %s = %d does not fit the header's int32", f.name, f.value)
		}
	}
	if c.Dim%c.Heads != 0 {
		return fmt.Errorf("header field dim = %d is not a multiple of n_heads = %d", c.Dim, c.Heads)
	}
	if c.Heads%c.KVHeads != 0 {
		return fmt.Errorf("header field n_kv_heads = %d does not divide n_heads = %d", c.KVHeads, c.Heads)
	}
	if c.HeadSize()%2 != 0 {
		return fmt.Errorf("header field n_heads = %d gives odd head size dim/n_heads = %d; RoPE needs pairs", c.Heads, c.HeadSize())
	}
	// The largest layout: legacy with its frequency tables and an unshared
	// classifier. Every other layout's sizes are bounded by this one's.
	if _, err := weightBytes(layout(c, FormatLegacy, false), GroupSizes{}); err != nil {
		return err
	}
	kv := []int64{int64(c.Layers), int64(c.SeqLen), int64(c.KVDim()), 2 * 4}
	if _, ok := product(kv...); !ok {
		return fmt.Errorf("header fields n_layers = %d, seq_len = %d make the key/value cache (n_layers × seq_len × kv_dim) too large for this platform",
			c.Layers, c.SeqLen)
	}
	return nil
}
