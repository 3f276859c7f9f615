package checkpoint

import "github.com/retrollama/retrollama/kernels"

// Checkpoint is a loaded (or synthetic) model: its shape, its weights and
// where they came from. Checkpoints from Open may hold a memory mapping;
// Close releases it.
type Checkpoint struct {
	// Path is the file name given to Open or Parse, or "synthetic:<name>"
	// for synthetic models.
	Path string
	// Format is the on-disk layout the weights were read from (FormatV1
	// for synthetic models, whose backing store follows that order).
	Format Format
	// Config is the model shape from the header.
	Config Config
	// SharedClassifier reports that the output classifier is the token
	// embedding (Weights.Classifier aliases Weights.TokenEmbedding).
	SharedClassifier bool
	// Weights are the model tensors, F32 or Q8_0 (see Weights); read-only,
	// and invalid after Close. Read a row of the token embedding with
	// Embedding, which dequantizes a Q8_0 one.
	Weights Weights
	// GroupSize is the number of values sharing one scale in a FormatQ8
	// checkpoint (one for the whole file), and 0 for the others.
	GroupSize int
	// GroupSizes is the group size of each matrix kind of a Q8_0
	// checkpoint (FormatQ8: GroupSize for all; FormatQ8PerMatrix: one per
	// kind), and all zero for fp32 ones.
	GroupSizes GroupSizes

	release func() error // unmaps the file; nil when nothing is held
	mapped  []byte       // the file mapping, for the matrices' Release; nil when none or closed
}

// Embedding sets dst (Config.Dim floats) to the token's row of the token
// embedding. For Q8_0 checkpoints the row is dequantized now, exactly as
// runq.c dequantizes the whole table at load: the same floats, without
// the 4 bytes per value of the table (37 MB for stories15M, a third of a
// 128 MB Pentium II).
func (c *Checkpoint) Embedding(dst []float32, token int) {
	dim, e := c.Config.Dim, c.Weights.TokenEmbedding
	if e.DType == kernels.Q8_0 {
		DequantizeRange(dst[:dim], e, token*dim)
		return
	}
	copy(dst[:dim], e.F32[token*dim:(token+1)*dim])
}

// Close releases the checkpoint's memory mapping if it holds one, clearing
// Weights so that later use fails loudly rather than touching unmapped
// memory; checkpoints backed by the Go heap are left as they are. Close is
// idempotent, but not safe to call concurrently.
func (c *Checkpoint) Close() error {
	if c == nil || c.release == nil {
		return nil
	}
	release := c.release
	c.release = nil
	c.mapped = nil
	c.Weights = Weights{}
	return release()
}
