package conformance

import (
	"fmt"

	"github.com/retrollama/retrollama/kernels"
)

// Replay checks the provider that f makes, labelled name, against calls
// recorded from a real forward pass (see Recorder): each call runs on a
// fresh provider initialised with shape and given the same weight tensors,
// and is compared with the recorded outputs (or the scalar reference's,
// for calls without Want) by the same checks as Run. Real activations
// catch what random ones miss: outliers, near-cancelling dot products,
// peaked attention. opts.Mode applies as in Run (bit for bit by
// default); opts.Cases and opts.Short do not.
func Replay(name string, f Factory, shape kernels.Shape, calls []Call, opts Options) []Result {
	if err := opts.validMode(); err != nil {
		return []Result{{Provider: name, Mode: opts.Mode, Failure: oneLine(fmt.Sprintf("%s: %v", name, err))}}
	}
	results := make([]Result, 0, len(calls))
	for _, c := range calls {
		results = append(results, check(name, f, shape, c, opts))
	}
	return results
}
