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
// optionally followed by q8Suffix.
func syntheticModel(name string) (*checkpoint.Checkpoint, error) {
	base, q8 := strings.CutSuffix(name, q8Suffix)
	ck, err := checkpoint.Synthetic(base)
	if err != nil {
		if _, known := checkpoint.ShapeOf(base); !known {
			return nil, fmt.Errorf("unknown synthetic model %q (known: %s; add %q for Q8_0)",
				name, strings.Join(checkpoint.KnownShapes(), ", "), q8Suffix)
		}
		return nil, err
	}
	if !q8 {
		return ck, nil
	}
	defer ck.Close()
	qck, _, err := quantize.Model(ck, 0)
	if err != nil {
		return nil, err
	}
	qck.Path = "synthetic:" + name
	return qck, nil
}
