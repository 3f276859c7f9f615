package conformance

import "github.com/retrollama/retrollama/kernels"

// Factory returns a fresh provider that has not been initialised; the suite
// calls it once per checked call so that no state carries over.
type Factory func() kernels.Provider

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
