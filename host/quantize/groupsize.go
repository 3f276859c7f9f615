package quantize

import "github.com/retrollama/retrollama/host/checkpoint"

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
