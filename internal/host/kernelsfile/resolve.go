package kernelsfile

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/retrollama/retrollama/kernels"
)

// Route is the resolved provider list of one op: the providers to try, in
// order, and the attribute (and profile) the list came from.
type Route struct {
	Op      kernels.Op
	Use     []Ref
	From    hcl.Range // the use/default attribute; zero when nothing set it
	Profile string    // the profile whose block set it
}

// Resolved is a profile with inheritance applied.
type Resolved struct {
	Profile string
	OnError string
	Routes  map[kernels.Op]Route
}

// Resolve applies the extends chain of profile: the nearest profile that
// routes an op (op block) wins, then the nearest default list; on_error
// likewise, "fail" when none sets it.
func (f *File) Resolve(profile string) (*Resolved, hcl.Diagnostics) {
	if f.Profile(profile) == nil {
		var names []string
		for _, p := range f.Profiles {
			names = append(names, p.Name)
		}
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unknown profile",
			Detail: fmt.Sprintf("%s declares no profile %q (profiles: %s).%s", f.Path, profile, strings.Join(names, ", "), didYouMean(profile, names))}}
	}
	chain, diags := f.chain(profile)
	if diags.HasErrors() {
		return nil, diags
	}
	r := &Resolved{Profile: profile, OnError: OnErrorFail, Routes: map[kernels.Op]Route{}}
	for i := len(chain) - 1; i >= 0; i-- { // farthest ancestor first, so nearer ones override
		if chain[i].OnError != "" {
			r.OnError = chain[i].OnError
		}
	}
	for _, op := range kernels.AllOps() {
		route := Route{Op: op}
	search:
		for _, p := range chain {
			if l := p.Ops[op]; l != nil {
				route.Use, route.From, route.Profile = l.Refs, l.Range, p.Name
				break search
			}
		}
		if route.Use == nil {
			for _, p := range chain {
				if p.Default != nil {
					route.Use, route.From, route.Profile = p.Default.Refs, p.Default.Range, p.Name
					break
				}
			}
		}
		r.Routes[op] = route
	}
	return r, nil
}
