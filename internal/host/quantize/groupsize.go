package quantize

import (
	"fmt"

	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/kernels"
)

// ChooseGroupSize returns the largest of 64, 32, 16, 8, 4, 2, 1 dividing
// both dim and hidden_dim: export.py's default of 64, halved until every
// matrix row holds whole groups.
func ChooseGroupSize(cfg checkpoint.Config) int {
	gs := 64
	for gs > 1 && cfg.CheckGroupSize(gs) != nil {
		gs /= 2
	}
	return gs
}

// CheckGroupSize reports a clear error, naming group_size and the
// dimension concerned, when gs is not positive or does not divide dim or
// hidden_dim.
func CheckGroupSize(cfg checkpoint.Config, gs int) error {
	return cfg.CheckGroupSize(gs)
}

// relError is the relative RMS quantization error of w in groups of gs
// (checkpoint.QuantError.Rel), quantizing exactly as Quantize does.
func relError(w []float32, gs int) (float64, error) {
	m := kernels.Tensor{DType: kernels.Q8_0, Q8: make([]int8, len(w)), Scales: make([]float32, len(w)/gs), GroupSize: gs}
	e, err := checkpoint.QuantizeMeasured(m, w)
	return e.Rel, err
}

// DefaultMaxRelError is the bound ChooseGroupSizes holds every matrix to
// when given none: a relative RMS quantization error of 1%. stories260K
// meets it at its largest group sizes (0.85% at worst, wq in groups of
// 64; w2 in groups of 172: 0.82%), as does stories15M's shape with
// random weights (0.39%); RATIONALE.md, "Q8_0 per matrix".
const DefaultMaxRelError = 0.01

// ChooseGroupSizes returns, for each matrix kind of the fp32 checkpoint
// ck, the largest divisor of the kind's input width (dim, or hidden_dim
// for w2) at which every layer's matrix of that kind quantizes with a
// relative RMS error, sqrt(Σ(w − q·s)² / Σw²), of at most maxRel
// (DefaultMaxRelError when 0); a shared classifier is the token
// embedding. Group size 1 always qualifies in practice (each value its
// own scale); if even it does not, ChooseGroupSizes fails saying which
// matrix.
func ChooseGroupSizes(ck *checkpoint.Checkpoint, maxRel float64) (checkpoint.GroupSizes, error) {
	if maxRel == 0 {
		maxRel = DefaultMaxRelError
	}
	if !(maxRel > 0) {
		return checkpoint.GroupSizes{}, fmt.Errorf("maximum relative error %v must be positive", maxRel)
	}
	if ck.Format.Quantized() {
		return checkpoint.GroupSizes{}, fmt.Errorf("already Q8_0 (group size %v)", ck.GroupSizes)
	}
	c, w := ck.Config, &ck.Weights
	type kind struct {
		name string
		ms   [][]float32 // every layer's matrix of the kind
		cols int
		gs   *int // where the choice goes
	}
	var kinds []kind
	var g checkpoint.GroupSizes
	add := func(name string, ts []kernels.Tensor, cols int, gs *int) {
		ms := make([][]float32, len(ts))
		for i, t := range ts {
			ms[i] = t.F32
		}
		kinds = append(kinds, kind{name, ms, cols, gs})
	}
	add("token_embedding", []kernels.Tensor{w.TokenEmbedding}, c.Dim, &g.TokenEmbedding)
	add("wq", w.WQ, c.Dim, &g.WQ)
	add("wk", w.WK, c.Dim, &g.WK)
	add("wv", w.WV, c.Dim, &g.WV)
	add("wo", w.WO, c.Dim, &g.WO)
	add("w1", w.W1, c.Dim, &g.W1)
	add("w2", w.W2, c.HiddenDim, &g.W2)
	add("w3", w.W3, c.Dim, &g.W3)
	if !ck.SharedClassifier {
		add("classifier", []kernels.Tensor{w.Classifier}, c.Dim, &g.Classifier)
	}
	for _, k := range kinds {
	sizes:
		for gs := k.cols; gs >= 1; gs-- {
			if k.cols%gs != 0 {
				continue
			}
			for l, m := range k.ms {
				if len(m)%gs != 0 {
					return checkpoint.GroupSizes{}, fmt.Errorf("%s (layer %d) has %d values, not whole rows of %d", k.name, l, len(m), k.cols)
				}
				e, err := relError(m, gs)
				if err != nil {
					return checkpoint.GroupSizes{}, fmt.Errorf("%s (layer %d): %w", k.name, l, err)
				}
				if e > maxRel {
					continue sizes
				}
			}
			*k.gs = gs
			break
		}
		if *k.gs == 0 {
			return checkpoint.GroupSizes{}, fmt.Errorf("%s: no group size keeps the relative error within %g", k.name, maxRel)
		}
	}
	if ck.SharedClassifier {
		g.Classifier = g.TokenEmbedding
	}
	return g, nil
}
