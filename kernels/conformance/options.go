package conformance

import (
	"fmt"

	"github.com/retrollama/retrollama/kernels"
)

// Factory returns a fresh provider that has not been initialised; the suite
// calls it once per checked call so that no state carries over.
type Factory func() kernels.Provider

// Mode is how a provider's outputs are compared with the reference's.
// The zero value is Exact, the default of Run, Replay and Test.
type Mode uint8

const (
	// Exact requires every output bit-identical to the scalar
	// reference's (float32 bits, signed zeros included; where the
	// reference is NaN any NaN will do). Every shipped provider is exact
	// by construction: it never reassociates a sum llama2.c computes in
	// sequence, so it prints llama2.c's bytes. See the package comment.
	Exact Mode = iota
	// NMSE holds outputs to ggml's normalised mean squared error bound
	// (Thresholds) instead: for a third-party provider that reassociates
	// sums (SIMD partial sums, FMA, float64 accumulation) and so opts
	// out of bit-identity; its texts may differ from llama2.c's.
	NMSE
)

// String returns the mode's name as reports print it: "exact" or "nmse".
func (m Mode) String() string {
	switch m {
	case Exact:
		return "exact"
	case NMSE:
		return "nmse"
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// Options tune a Run or Replay.
type Options struct {
	// Seed selects the random inputs; the same seed always gives the same
	// inputs, and each call's inputs depend only on the seed and the call's
	// label, so filtering Cases does not change them.
	Seed uint64
	// Cases are the shapes Run exercises; nil means DefaultCases().
	Cases []Case
	// Short drops the cases marked Large, for go test -short and -race.
	Short bool
	// Mode is how outputs are compared with the reference's: Exact (the
	// zero value, bit for bit) or NMSE (within Thresholds).
	Mode Mode
}

// cases returns the cases a Run exercises under o.
func (o Options) cases() []Case {
	all := o.Cases
	if all == nil {
		all = DefaultCases()
	}
	var out []Case
	for _, c := range all {
		if !(o.Short && c.Large) {
			out = append(out, c)
		}
	}
	return out
}

// validMode rejects a Mode that is neither Exact nor NMSE, so that a
// typo'd conversion cannot silently pick a comparison.
func (o Options) validMode() error {
	if o.Mode != Exact && o.Mode != NMSE {
		return fmt.Errorf("unknown comparison mode %v (want conformance.Exact or conformance.NMSE)", o.Mode)
	}
	return nil
}
