package conformance

import (
	"github.com/retrollama/retrollama/kernels"
)

// execution is what one provider did with one plan.
type execution struct {
	args     []guarded[float32] // the plan's operands, as left by the call
	weight   guardedWeight      // the tensor given to Prepare, as left
	err      error              // the first failure of Init, Prepare or the call
	closeErr error              // Close's failure
}

// execute takes a fresh provider through its lifecycle for one call: Init
// with shape s, Prepare the plan's weight, the call, Close. Every step is
// protected against panics. With guard set, the weight's arrays are
// guarded copies (checked by judge); without, the plan's own, for the
// trusted reference.
func execute(pr kernels.Provider, s kernels.Shape, p plan, guard bool) execution {
	e := execution{args: make([]guarded[float32], len(p.operands))}
	args := make([][]float32, len(p.operands))
	for i, o := range p.operands {
		e.args[i] = newGuarded(o.init)
		args[i] = e.args[i].slice()
	}
	e.err = protect("Init", func() error { return pr.Init(s) })
	var w kernels.Weight
	if e.err == nil && p.weight != nil {
		t := *p.weight
		if guard {
			e.weight = newGuardedWeight(p.weight)
			t = e.weight.tensor
		}
		e.err = protect("Prepare("+t.Name+")", func() (err error) {
			w, err = pr.Prepare(t)
			return err
		})
	}
	if e.err == nil {
		e.err = protect("the call", func() error { return p.invoke(pr, w, args) })
	}
	e.closeErr = protect("Close", pr.Close)
	return e
}

// outputs returns the contents of the output operands, in order.
func (e execution) outputs(p plan) [][]float32 {
	var out [][]float32
	for i, o := range p.operands {
		if o.output {
			out = append(out, e.args[i].slice())
		}
	}
	return out
}
