package conformance

import "fmt"

// judge lists what is wrong with execution e of plan p against the
// reference outputs want, filling r's NMSE and MaxAbsDiff.
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
	if limit := Thresholds()[r.Op]; finiteOK && !(r.NMSE <= limit) {
		problems = append(problems, fmt.Sprintf("NMSE %.3g above the threshold %.0e (max |diff| %.3g at %s)", r.NMSE, limit, d.maxAbs, d.maxAt))
	}
	return problems
}
