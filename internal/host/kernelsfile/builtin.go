package kernelsfile

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
)

type builtinSchema struct {
	Implementation *string `hcl:"implementation,optional"`
	Threads        *int    `hcl:"threads,optional"`
}

// decodeBuiltin reads the body of a provider "builtin" block.
func decodeBuiltin(p *ProviderDecl, pb providerBlock, builtins []string) (*ProviderDecl, hcl.Diagnostics) {
	var b builtinSchema
	if d := gohcl.DecodeBody(pb.Body, nil, &b); d.HasErrors() {
		return nil, d
	}
	if b.Implementation != nil {
		p.Implementation = *b.Implementation
	}
	if !slices.Contains(builtins, p.Implementation) {
		return nil, hcl.Diagnostics{errorAt(&pb.DeclRange, "Unknown builtin provider",
			fmt.Sprintf("There is no builtin provider %q (builtin: %s).%s", p.Implementation, strings.Join(builtins, ", "), didYouMean(p.Implementation, builtins)))}
	}
	if b.Threads != nil {
		if *b.Threads < 0 {
			return nil, hcl.Diagnostics{errorAt(&pb.DeclRange, "Invalid threads", "threads must be 0 (all cores) or more.")}
		}
		p.Threads = *b.Threads
	}
	return p, nil
}
