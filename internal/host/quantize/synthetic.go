package quantize

import (
	"io"

	"github.com/retrollama/retrollama/internal/host/checkpoint"
)

// Synthetic returns the named synthetic model (checkpoint.Synthetic)
// quantized to Q8_0 with group size gs, or ChooseGroupSize's when gs is 0.
// The result is bit for bit Model(checkpoint.Synthetic(name), gs), Path
// included, but it is built streaming by checkpoint.SyntheticQ8: the fp32
// model is never held, only the Q8_0 weights, the dequantized token
// embedding and a few 256 KiB scratch buffers (54.5 MB allocated for
// stories15M, where Model of the fp32 model allocates 143 MB), so that
// "--synthetic stories15M-q8" fits on a 128 MB machine. It reports no Stats.
func Synthetic(name string, gs int) (*checkpoint.Checkpoint, error) {
	if cfg, ok := checkpoint.ShapeOf(name); ok && gs == 0 {
		gs = ChooseGroupSize(cfg)
	}
	return checkpoint.SyntheticQ8(name, gs, quantizeGroups)
}

// SyntheticFromConfig is Synthetic for checkpoint.SyntheticFromConfig(cfg,
// seed): bit for bit Model of that model with group size gs (or
// ChooseGroupSize's when 0), built streaming.
func SyntheticFromConfig(cfg checkpoint.Config, seed uint64, gs int) (*checkpoint.Checkpoint, error) {
	if gs == 0 {
		gs = ChooseGroupSize(cfg)
	}
	return checkpoint.SyntheticQ8FromConfig(cfg, seed, gs, quantizeGroups)
}

// WriteSynthetic writes Synthetic(name, gs) to w in runq.c's Q8_0 format,
// byte for byte what checkpoint.WriteQ8 of it writes, but streaming
// (checkpoint.WriteSynthetic): the model is never held, so that
// "retrollama synthetic llama2-7B-q8 FILE" writes its 7 GB in tens of MB
// of memory. gs 0 is ChooseGroupSize's.
func WriteSynthetic(w io.Writer, name string, gs int) error {
	if cfg, ok := checkpoint.ShapeOf(name); ok && gs == 0 {
		gs = ChooseGroupSize(cfg)
	}
	return checkpoint.WriteSynthetic(w, name, checkpoint.FormatQ8, gs, quantizeGroups)
}
