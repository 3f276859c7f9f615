package kernelsfile

import (
	"github.com/hashicorp/hcl/v2"
)

// Bench is a saved comparison: a bench block, run by "retrollama bench
// --name NAME". Zero values mean "the command's default".
type Bench struct {
	Name         string
	Profiles     []Ref
	Model        string
	Synthetic    string
	GenTokens    int
	PromptTokens int
	Runs         int
	Warmup       int
	Threads      int
	UntilCI      float64
	MaxRuns      int
	Isolate      bool
	DeclRange    hcl.Range
}

type benchBlock struct {
	Name         string         `hcl:"name,label"`
	Profiles     hcl.Expression `hcl:"profiles"`
	Model        *string        `hcl:"model,optional"`
	Synthetic    *string        `hcl:"synthetic,optional"`
	GenTokens    *int           `hcl:"n,optional"`
	PromptTokens *int           `hcl:"prompt_tokens,optional"`
	Runs         *int           `hcl:"runs,optional"`
	Warmup       *int           `hcl:"warmup,optional"`
	Threads      *int           `hcl:"threads,optional"`
	UntilCI      *float64       `hcl:"until_ci,optional"`
	MaxRuns      *int           `hcl:"max_runs,optional"`
	Isolate      *bool          `hcl:"isolate,optional"`
	DeclRange    hcl.Range      `hcl:",def_range"`
}

// Bench returns the bench block called name, or nil.
func (f *File) Bench(name string) *Bench {
	for _, b := range f.Benches {
		if b.Name == name {
			return b
		}
	}
	return nil
}

func decodeBench(bb benchBlock) (*Bench, hcl.Diagnostics) {
	b := &Bench{Name: bb.Name, DeclRange: bb.DeclRange}
	refs, diags := nameList(bb.Profiles)
	b.Profiles = refs
	if !diags.HasErrors() && len(refs) < 2 {
		diags = append(diags, errorAt(rangePtr(bb.Profiles.Range()), "Too few profiles", "A bench compares at least two profiles."))
	}
	set := func(dst *int, src *int) {
		if src != nil {
			*dst = *src
		}
	}
	set(&b.GenTokens, bb.GenTokens)
	set(&b.PromptTokens, bb.PromptTokens)
	set(&b.Runs, bb.Runs)
	set(&b.Warmup, bb.Warmup)
	set(&b.Threads, bb.Threads)
	set(&b.MaxRuns, bb.MaxRuns)
	if bb.Model != nil {
		b.Model = *bb.Model
	}
	if bb.Synthetic != nil {
		b.Synthetic = *bb.Synthetic
	}
	if bb.Model != nil && bb.Synthetic != nil {
		diags = append(diags, errorAt(&bb.DeclRange, "Conflicting model", "Give model or synthetic, not both."))
	}
	if bb.UntilCI != nil {
		b.UntilCI = *bb.UntilCI
	}
	if bb.Isolate != nil {
		b.Isolate = *bb.Isolate
	}
	return b, diags
}
