package quantize

import "github.com/retrollama/retrollama/host/checkpoint"

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
