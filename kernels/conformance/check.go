package conformance

import (
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// check runs c on a fresh provider from f, initialised for shape s, and
// compares it with the reference: c.Want, or the scalar provider's
// outputs on the same inputs, as opts.Mode says; opts.Seed seeds the junk
// in output buffers. name labels the result. Even the suite's own
// reads of c are protected: a replayed call whose weights were unmapped
// (its checkpoint closed) is a failed result, not a crash.
func check(name string, f Factory, s kernels.Shape, c Call, opts Options) (r Result) {
	r = Result{Provider: name, Op: c.Op, Case: c.Case, Mode: opts.Mode}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if v := recover(); v != nil {
			r.Failure = ""
			r.fail([]string{fmt.Sprintf("the suite cannot read this call's data (is its checkpoint closed?): %v", v)})
		}
	}()
	p, err := newPlan(c, s, newRNG(opts.Seed, "junk "+string(c.Op)+" "+c.Case))
	if err != nil {
		r.fail([]string{"invalid call: " + err.Error()})
		return r
	}
	want := c.Want
	if want == nil {
		ref := execute(scalar.New(), s, p, false)
		if ref.err != nil {
			r.fail([]string{"the scalar reference cannot run this call: " + ref.err.Error()})
			return r
		}
		want = ref.outputs(p)
	}

	var pr kernels.Provider
	err = protect("the factory", func() error {
		if pr = f(); pr == nil {
			return errors.New("returned a nil provider")
		}
		return nil
	})
	if err != nil {
		r.fail([]string{err.Error()})
		return r
	}
	var sup kernels.Support
	if err := protect("Supports", func() error { sup = pr.Supports(c.query(s)); return nil }); err != nil {
		r.fail([]string{err.Error()})
		return r
	}
	if !sup.OK {
		r.Skipped = "declined by Supports: " + sup.Reason
		if sup.Reason == "" {
			r.Skipped += "(no reason given)"
		}
		return r
	}

	e := execute(pr, s, p, true)
	r.fail(judge(&r, p, e, want))
	return r
}
