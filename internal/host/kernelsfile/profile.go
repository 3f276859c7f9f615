package kernelsfile

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"

	"github.com/retrollama/retrollama/kernels"
)

// OnError values of a profile: what happens when a provider it names
// cannot run here, load or start, or fails a call.
const (
	// OnErrorFallback passes the provider over for the profile's next one
	// (a failed call is redone on the scalar reference, which keeps the
	// op), and every command and report names what ran instead.
	OnErrorFallback = "fallback"
	// OnErrorFail stops with the error: nothing runs under a name it does
	// not have. The default.
	OnErrorFail = "fail"
)

// Profile is one profile block, before inheritance is applied.
type Profile struct {
	Name      string
	Extends   *Ref
	Default   *RefList
	Ops       map[kernels.Op]*RefList
	OnError   string
	OnErrorAt hcl.Range
	DeclRange hcl.Range
}

type profileBlock struct {
	Name      string         `hcl:"name,label"`
	Extends   hcl.Expression `hcl:"extends,optional"`
	Default   hcl.Expression `hcl:"default,optional"`
	OnError   hcl.Expression `hcl:"on_error,optional"`
	Ops       []opBlock      `hcl:"op,block"`
	DeclRange hcl.Range      `hcl:",def_range"`
}

type opBlock struct {
	Op        string         `hcl:"op,label"`
	Use       hcl.Expression `hcl:"use"`
	DeclRange hcl.Range      `hcl:",def_range"`
}

func (f *File) decodeProfile(pb profileBlock) (*Profile, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	p := &Profile{Name: pb.Name, Ops: map[kernels.Op]*RefList{}, DeclRange: pb.DeclRange}
	if !isNull(pb.Extends) {
		r, d := name(pb.Extends)
		diags = append(diags, d...)
		if r != nil {
			p.Extends = r
		}
	}
	if !isNull(pb.Default) {
		l, d := refList(pb.Default)
		diags = append(diags, d...)
		p.Default = l
	}
	if !isNull(pb.OnError) {
		var s string
		d := gohcl.DecodeExpression(pb.OnError, nil, &s)
		diags = append(diags, d...)
		if !d.HasErrors() && s != OnErrorFallback && s != OnErrorFail {
			diags = append(diags, errorAt(rangePtr(pb.OnError.Range()), "Invalid on_error",
				fmt.Sprintf("on_error must be %q or %q, not %q.%s", OnErrorFallback, OnErrorFail, s, didYouMean(s, []string{OnErrorFallback, OnErrorFail}))))
		}
		p.OnError, p.OnErrorAt = s, pb.OnError.Range()
	}
	var opNames []string
	for _, op := range kernels.AllOps() {
		opNames = append(opNames, string(op))
	}
	for _, ob := range pb.Ops {
		op := kernels.Op(ob.Op)
		if !slices.Contains(kernels.AllOps(), op) {
			diags = append(diags, errorAt(&ob.DeclRange, "Unknown op",
				fmt.Sprintf("There is no op %q (ops: %s).%s", ob.Op, strings.Join(opNames, ", "), didYouMean(ob.Op, opNames))))
			continue
		}
		if _, dup := p.Ops[op]; dup {
			diags = append(diags, errorAt(&ob.DeclRange, "Duplicate op block",
				fmt.Sprintf("Profile %q already routes op %q.", p.Name, ob.Op)))
			continue
		}
		l, d := refList(ob.Use)
		diags = append(diags, d...)
		if l != nil {
			p.Ops[op] = l
		}
	}
	return p, diags
}

// checkReferences checks that every provider and profile reference names
// something declared, and that no extends chain is a cycle.
func (f *File) checkReferences() hcl.Diagnostics {
	var diags hcl.Diagnostics
	var providerRefs, profileNames []string
	for _, p := range f.Providers {
		providerRefs = append(providerRefs, p.Ref())
	}
	for _, p := range f.Profiles {
		profileNames = append(profileNames, p.Name)
	}
	checkProvider := func(r Ref) {
		if f.provider(r.Name) == nil {
			diags = append(diags, errorAt(&r.Range, "Unknown provider",
				fmt.Sprintf("No provider %s is declared in this file.%s", r.Name, didYouMean(r.Name, providerRefs))))
		}
	}
	checkProfile := func(r Ref) {
		if f.Profile(r.Name) == nil {
			diags = append(diags, errorAt(&r.Range, "Unknown profile",
				fmt.Sprintf("No profile %q is declared in this file.%s", r.Name, didYouMean(r.Name, profileNames))))
		}
	}
	for _, p := range f.Profiles {
		if p.Extends != nil {
			checkProfile(*p.Extends)
		}
		if p.Default != nil {
			for _, r := range p.Default.Refs {
				checkProvider(r)
			}
		}
		for _, op := range kernels.AllOps() {
			if l := p.Ops[op]; l != nil {
				for _, r := range l.Refs {
					checkProvider(r)
				}
			}
		}
	}
	for _, r := range f.DefaultProfiles {
		checkProfile(r)
	}
	for _, b := range f.Benches {
		for _, r := range b.Profiles {
			checkProfile(r)
		}
	}
	if diags.HasErrors() {
		return diags
	}
	for _, p := range f.Profiles {
		if _, d := f.chain(p.Name); d.HasErrors() {
			diags = append(diags, d...)
			break // one report per cycle is enough
		}
	}
	return diags
}

// chain returns the profile and its ancestors, nearest first.
func (f *File) chain(name string) ([]*Profile, hcl.Diagnostics) {
	var chain []*Profile
	for p := f.Profile(name); p != nil; {
		for _, seen := range chain {
			if seen == p {
				var names []string
				for _, c := range chain {
					names = append(names, c.Name)
				}
				r := chain[len(chain)-1].Extends.Range
				return nil, hcl.Diagnostics{errorAt(&r, "Cycle in extends",
					fmt.Sprintf("Profile %q extends itself through %s → %s.", name, strings.Join(names, " → "), p.Name))}
			}
		}
		chain = append(chain, p)
		if p.Extends == nil {
			break
		}
		p = f.Profile(p.Extends.Name)
	}
	return chain, nil
}
