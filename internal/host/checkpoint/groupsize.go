package checkpoint

import "fmt"

// CheckGroupSize reports whether gs can be the Q8_0 group size of a model
// of shape c (which should already be valid): it must be positive and
// divide both dim and hidden_dim, the input widths of every matrix, so that
// no group straddles two rows. llama2.c's export.py checks only dim and
// silently writes unusable files otherwise (stories260K with hidden_dim
// 172 at its default group size 64). The error names group_size and the
// dimension it fails to divide.
func (c Config) CheckGroupSize(gs int) error {
	if gs <= 0 {
		return fmt.Errorf("group_size = %d must be positive", gs)
	}
	for _, f := range []field{{"dim", c.Dim}, {"hidden_dim", c.HiddenDim}} {
		if f.value%gs != 0 {
			return fmt.Errorf("group_size = %d does not divide %s = %d (every matrix row must hold whole groups)", gs, f.name, f.value)
		}
	}
	return nil
}
