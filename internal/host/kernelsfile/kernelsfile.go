// Package kernelsfile reads kernels.hcl: which kernel providers exist and, per
// profile, which op goes to which provider. Every mistake in the file is an
// HCL diagnostic with file:line:col, the offending text and, for misspelt
// names, a "did you mean".
//
//	provider "builtin" "unroll8" { threads = 2 }
//	profile "fast" {
//	  extends  = reference
//	  default  = [builtin.unroll8]
//	  op "matmul" { use = [builtin.unroll8, builtin.unroll4] }
//	  on_error = "fallback"
//	}
//	default_profiles = [fast, reference]
package kernelsfile

import (
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Provider kinds that kernels.hcl may declare.
const (
	KindBuiltin = "builtin"
	KindWASM    = "wasm"
	KindPlugin  = "plugin"
)

// knownKinds lists the provider kinds this build understands.
func knownKinds() []string { return []string{KindBuiltin, KindWASM, KindPlugin} }

// File is a parsed and checked kernels.hcl.
type File struct {
	Path            string
	Providers       []*ProviderDecl
	Profiles        []*Profile
	DefaultProfiles []Ref // profile names, in order of preference
	Benches         []*Bench
	hclFile         *hcl.File
}

type fileSchema struct {
	Providers       []providerBlock `hcl:"provider,block"`
	Profiles        []profileBlock  `hcl:"profile,block"`
	Benches         []benchBlock    `hcl:"bench,block"`
	DefaultProfiles hcl.Expression  `hcl:"default_profiles,optional"`
}

// Load reads and checks the kernels.hcl at path (see Parse).
func Load(path string, builtins []string) (*File, hcl.Diagnostics) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read kernels file", Detail: err.Error()}}
	}
	return Parse(path, src, builtins)
}

// Parse reads and checks kernels.hcl source; filename is used in
// diagnostics. builtins are the names a provider "builtin" block may
// instantiate, in the order errors list them: the caller's catalog
// (registry.Parse passes the providers compiled in), so that parsing
// links none of them.
func Parse(filename string, src []byte, builtins []string) (*File, hcl.Diagnostics) {
	hf, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return &File{Path: filename, hclFile: hf}, diags
	}
	f := &File{Path: filename, hclFile: hf}
	var raw fileSchema
	if d := gohcl.DecodeBody(hf.Body, nil, &raw); d.HasErrors() {
		return f, d
	}
	for _, pb := range raw.Providers {
		p, d := decodeProvider(pb, builtins)
		diags = append(diags, d...)
		if p == nil {
			continue
		}
		if prev := f.provider(p.Ref()); prev != nil {
			diags = append(diags, errorAt(&pb.DeclRange, "Duplicate provider",
				fmt.Sprintf("Provider %s was already declared at %s.", p.Ref(), prev.DeclRange)))
			continue
		}
		f.Providers = append(f.Providers, p)
	}
	for _, pb := range raw.Profiles {
		p, d := f.decodeProfile(pb)
		diags = append(diags, d...)
		if p == nil {
			continue
		}
		if prev := f.Profile(p.Name); prev != nil {
			diags = append(diags, errorAt(&pb.DeclRange, "Duplicate profile",
				fmt.Sprintf("Profile %q was already declared at %s.", p.Name, prev.DeclRange)))
			continue
		}
		f.Profiles = append(f.Profiles, p)
	}
	for _, bb := range raw.Benches {
		b, d := decodeBench(bb)
		diags = append(diags, d...)
		if f.Bench(b.Name) != nil {
			diags = append(diags, errorAt(&bb.DeclRange, "Duplicate bench", fmt.Sprintf("Bench %q is declared twice.", b.Name)))
			continue
		}
		f.Benches = append(f.Benches, b)
	}
	if raw.DefaultProfiles != nil && !isNull(raw.DefaultProfiles) {
		refs, d := nameList(raw.DefaultProfiles)
		diags = append(diags, d...)
		f.DefaultProfiles = refs
	}
	if !diags.HasErrors() {
		diags = append(diags, f.checkReferences()...)
	}
	return f, diags
}

// Source returns the bytes the file was parsed from (for hashing).
func (f *File) Source() []byte {
	if f == nil || f.hclFile == nil {
		return nil
	}
	return f.hclFile.Bytes
}

// Files returns the parsed source for hcl.NewDiagnosticTextWriter, so
// diagnostics can show the offending text.
func (f *File) Files() map[string]*hcl.File {
	if f == nil || f.hclFile == nil {
		return nil
	}
	return map[string]*hcl.File{f.Path: f.hclFile}
}

// Profile returns the profile called name, or nil.
func (f *File) Profile(name string) *Profile {
	for _, p := range f.Profiles {
		if p.Name == name {
			return p
		}
	}
	return nil
}

func (f *File) provider(ref string) *ProviderDecl {
	for _, p := range f.Providers {
		if p.Ref() == ref {
			return p
		}
	}
	return nil
}

// Provider returns the provider declared as ref ("kind.name"), or nil.
func (f *File) Provider(ref string) *ProviderDecl { return f.provider(ref) }
