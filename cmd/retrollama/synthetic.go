package main

import (
	"fmt"
	"strings"

	"github.com/retrollama/retrollama/host/checkpoint"
	"github.com/retrollama/retrollama/host/quantize"
)

// q8Suffix asks for a synthetic model quantized to Q8_0 in memory:
// "--synthetic stories15M-q8" is synthetic stories15M as "retrollama
// quantize" would write it (group size chosen the same way), so Q8
// kernels can be run and benchmarked with nothing downloaded.
const q8Suffix = "-q8"

// syntheticModel builds the named synthetic model: a KnownShapes name,
// optionally followed by q8Suffix. Q8_0 models are built streaming by
// quantize.Synthetic, never holding the fp32 weights (54.5 MB allocated
// for stories15M-q8 instead of quantize.Model's 143 MB; it must run on a
// 128 MB Pentium II), and are bit for bit what quantize.Model gives.
func syntheticModel(name string) (*checkpoint.Checkpoint, error) {
	base, q8 := strings.CutSuffix(name, q8Suffix)
	if _, known := checkpoint.ShapeOf(base); !known {
		return nil, fmt.Errorf("unknown synthetic model %q (known: %s; add %q for Q8_0)",
			name, strings.Join(checkpoint.KnownShapes(), ", "), q8Suffix)
	}
	if !q8 {
		return checkpoint.Synthetic(base)
	}
	ck, err := quantize.Synthetic(base, 0)
	if err != nil {
		return nil, err
	}
	ck.Path = "synthetic:" + name
	return ck, nil
}
