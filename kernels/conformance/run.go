package conformance

import "fmt"

// Run checks the provider that f makes, labelled name in the results,
// against the scalar reference on every op of every case of opts (see
// Case for the calls a case makes), comparing outputs as opts.Mode says
// (bit for bit by default). It returns one Result per call, in case
// order; it never panics because of the provider.
func Run(name string, f Factory, opts Options) []Result {
	if err := opts.validMode(); err != nil {
		return []Result{{Provider: name, Mode: opts.Mode, Failure: oneLine(fmt.Sprintf("%s: %v", name, err))}}
	}
	var results []Result
	for _, c := range opts.cases() {
		if err := c.validate(); err != nil {
			results = append(results, Result{Provider: name, Case: c.Name, Mode: opts.Mode, Failure: oneLine(fmt.Sprintf("%s: invalid case: %v", name, err))})
			continue
		}
		for call := range c.calls(opts.Seed) {
			results = append(results, check(name, f, c.Shape, call, opts))
		}
	}
	return results
}
