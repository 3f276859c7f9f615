package checkpoint

import (
	"fmt"
	"io"
)

// WriteQ8 serialises a Q8_0 model to w in FormatQ8, byte for byte as
// llama2.c's export.py (version 2) lays it out and runq.c reads it: the
// 256-byte header with groupSize, the RMS-norm vectors of wt (F32) in
// float32, then every matrix of wt (Q8_0, in groups of groupSize) as its
// int8 values followed by its scales. With shared set the classifier is
// not written (wt.Classifier is ignored). The configuration, the group
// size and every tensor's dtype and length are checked before anything
// is written.
func WriteQ8(w io.Writer, cfg Config, shared bool, groupSize int, wt *Weights) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	if err := cfg.CheckGroupSize(groupSize); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	return write(w, FormatQ8, cfg, shared, Uniform(groupSize), wt)
}

// WriteQ8PerMatrix serialises a Q8_0 model to w in FormatQ8PerMatrix:
// WriteQ8's layout with the header's nine group sizes gs, each matrix's
// scales counted by its kind's group size. It is retrollama's format;
// llama2.c's runq.c refuses it (version 3).
func WriteQ8PerMatrix(w io.Writer, cfg Config, shared bool, gs GroupSizes, wt *Weights) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	if err := cfg.CheckGroupSizes(gs, shared); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	return write(w, FormatQ8PerMatrix, cfg, shared, gs, wt)
}
