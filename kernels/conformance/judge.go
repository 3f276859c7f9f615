package conformance

import "fmt"

// judge lists what is wrong with execution e of plan p against the
// reference outputs want, filling r's NMSE, MaxAbsDiff and, in exact mode
// (r.Mode), Mismatch. Both modes compute every measure; the mode decides
// which one fails the call.
func judge(r *Result, p plan, e execution, want [][]float32) []string {
	var problems []string
	if e.err != nil {
		problems = append(problems, e.err.Error())
	}
	if e.closeErr != nil {
		problems = append(problems, e.closeErr.Error())
	}
	for i, o := range p.operands {
		kind := "input"
		if o.output {
			kind = "output"
		}
		if where, detail := e.args[i].damage(); where != "" {
			problems = append(problems, fmt.Sprintf("writes %s its %s buffer %s (%s)", where, kind, o.name, detail))
		}
		if !o.output {
			if j := firstChange(e.args[i].slice(), o.init); j >= 0 {
				problems = append(problems, fmt.Sprintf("modifies its input %s (%s[%d] = %g, was %g)", o.name, o.name, j, e.args[i].slice()[j], o.init[j]))
			}
		}
	}
	problems = append(problems, e.weight.problems()...)
	if e.err != nil {
		return problems // the outputs mean nothing
	}
	var d diff
	finiteOK := true
	k := 0
	for i, o := range p.operands {
		if !o.output {
			continue
		}
		got := e.args[i].slice()
		if j := nonFinite(got, want[k]); j >= 0 {
			finiteOK = false
			problems = append(problems, fmt.Sprintf("output %s[%d] is %g where the reference is %g%s", o.name, j, got[j], want[k][j], nanSource(got[j])))
		}
		d.add(o.name, got, want[k])
		k++
	}
	r.NMSE, r.MaxAbsDiff = d.nmse(), d.maxAbs
	switch r.Mode {
	case Exact:
		r.Mismatch = d.mismatch()
		if finiteOK && r.Mismatch != nil {
			problems = append(problems, fmt.Sprintf("not bit-identical to the reference (exact mode): %s (max |diff| %.3g, NMSE %.3g)", r.Mismatch, d.maxAbs, r.NMSE))
		}
	case NMSE:
		if limit := Thresholds()[r.Op]; finiteOK && !(r.NMSE <= limit) {
			problems = append(problems, fmt.Sprintf("NMSE %.3g above the threshold %.0e (nmse mode; max |diff| %.3g at %s)", r.NMSE, limit, d.maxAbs, d.maxAt))
		}
	}
	return problems
}
