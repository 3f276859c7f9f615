package kernelsfile

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
)

// Ref is a bare reference (a provider "kind.name" or a profile name) with
// where it was written.
type Ref struct {
	Name  string
	Range hcl.Range
}

// RefList is a list of provider references and the attribute it came from.
type RefList struct {
	Refs  []Ref
	Range hcl.Range // the whole attribute, for "where did this come from"
}

// refList reads a list of bare provider references such as
// [builtin.unroll8, builtin.scalar].
func refList(expr hcl.Expression) (*RefList, hcl.Diagnostics) {
	exprs, diags := hcl.ExprList(expr)
	if diags.HasErrors() {
		return nil, diags
	}
	l := &RefList{Range: expr.Range()}
	for _, e := range exprs {
		tr, d := hcl.AbsTraversalForExpr(e)
		if d.HasErrors() || len(tr) != 2 {
			diags = append(diags, errorAt(rangePtr(e.Range()), "Invalid provider reference",
				"A provider is referred to as kind.name, for example builtin.scalar, without quotes."))
			continue
		}
		attr, ok := tr[1].(hcl.TraverseAttr)
		if !ok {
			diags = append(diags, errorAt(rangePtr(e.Range()), "Invalid provider reference", "Expected kind.name."))
			continue
		}
		l.Refs = append(l.Refs, Ref{Name: tr.RootName() + "." + attr.Name, Range: e.Range()})
	}
	return l, diags
}

// name reads a single bare name (a profile), or a string.
func name(expr hcl.Expression) (*Ref, hcl.Diagnostics) {
	if kw := hcl.ExprAsKeyword(expr); kw != "" {
		return &Ref{Name: kw, Range: expr.Range()}, nil
	}
	var s string
	if d := gohcl.DecodeExpression(expr, nil, &s); d.HasErrors() {
		return nil, hcl.Diagnostics{errorAt(rangePtr(expr.Range()), "Invalid profile name",
			"Expected a profile name, such as reference (bare) or \"reference\".")}
	}
	return &Ref{Name: s, Range: expr.Range()}, nil
}

// nameList reads a list of bare names or strings.
func nameList(expr hcl.Expression) ([]Ref, hcl.Diagnostics) {
	exprs, diags := hcl.ExprList(expr)
	if diags.HasErrors() {
		return nil, diags
	}
	var refs []Ref
	for _, e := range exprs {
		r, d := name(e)
		diags = append(diags, d...)
		if r != nil {
			refs = append(refs, *r)
		}
	}
	return refs, diags
}

// isNull reports whether an optional attribute was left out.
func isNull(expr hcl.Expression) bool {
	if expr == nil {
		return true
	}
	v, d := expr.Value(nil)
	return !d.HasErrors() && v.IsNull()
}
