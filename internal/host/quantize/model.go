package quantize

import (
	"bytes"
	"fmt"

	"github.com/retrollama/retrollama/internal/host/checkpoint"
)

// Model quantizes the fp32 checkpoint ck to Q8_0 with group size gs
// (ChooseGroupSize's when gs is 0) and returns it as a loaded Q8_0
// checkpoint, without touching the disk: it is encoded in runq.c's format
// and parsed back, so the result is exactly what File then checkpoint.Open
// would give (token embedding dequantized as runq.c does). It serves
// synthetic Q8 models ("retrollama run --synthetic stories15M-q8") and
// benchmarks; its Path is ck.Path followed by " q8_0 gs=N". ck is left
// as it was and may be closed afterwards.
func Model(ck *checkpoint.Checkpoint, gs int) (*checkpoint.Checkpoint, Stats, error) {
	if ck == nil {
		return nil, Stats{}, fmt.Errorf("quantize: nil checkpoint")
	}
	if gs == 0 {
		gs = ChooseGroupSize(ck.Config)
	}
	q, st, err := Quantize(ck, gs)
	if err != nil {
		return nil, Stats{}, err
	}
	var buf bytes.Buffer
	if err := checkpoint.WriteQ8(&buf, ck.Config, ck.SharedClassifier, gs, q); err != nil {
		return nil, Stats{}, fmt.Errorf("quantize %s: %w", ck.Path, err)
	}
	name := fmt.Sprintf("%s q8_0 gs=%d", ck.Path, gs)
	out, err := checkpoint.Parse(name, buf.Bytes())
	if err != nil {
		return nil, Stats{}, fmt.Errorf("quantize %s: %w", ck.Path, err)
	}
	return out, st, nil
}

// ModelPerMatrix is Model for the per-matrix format: ck quantized with
// ChooseGroupSizes(ck, maxRel)'s group sizes, encoded in
// checkpoint.FormatQ8PerMatrix and parsed back; its Path is ck.Path
// followed by " q8_0 per matrix".
func ModelPerMatrix(ck *checkpoint.Checkpoint, maxRel float64) (*checkpoint.Checkpoint, Stats, error) {
	if ck == nil {
		return nil, Stats{}, fmt.Errorf("quantize: nil checkpoint")
	}
	gs, err := ChooseGroupSizes(ck, maxRel)
	if err != nil {
		return nil, Stats{}, fmt.Errorf("quantize %s: %w", ck.Path, err)
	}
	q, st, err := QuantizePerMatrix(ck, gs, nil)
	if err != nil {
		return nil, Stats{}, err
	}
	var buf bytes.Buffer
	if err := checkpoint.WriteQ8PerMatrix(&buf, ck.Config, ck.SharedClassifier, gs, q); err != nil {
		return nil, Stats{}, fmt.Errorf("quantize %s: %w", ck.Path, err)
	}
	out, err := checkpoint.Parse(ck.Path+" q8_0 per matrix", buf.Bytes())
	if err != nil {
		return nil, Stats{}, fmt.Errorf("quantize %s: %w", ck.Path, err)
	}
	return out, st, nil
}
