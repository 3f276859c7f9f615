package kernelsfile

import (
	"encoding/hex"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
)

// ProviderDecl is one provider block: a provider as declared, before the
// registry instantiates it (a kernels.Provider).
type ProviderDecl struct {
	Kind, Name string
	// Implementation is the builtin provider to instantiate (default: Name),
	// one of the builtin names the file was parsed with; the registry maps
	// it to a constructor.
	Implementation string
	// Threads is the provider's thread count; 0 = the command's --threads.
	Threads int
	// WASM is the module's configuration, for kind wasm.
	WASM *WASM
	// Plugin is the plugin's configuration, for kind plugin.
	Plugin    *Plugin
	DeclRange hcl.Range
}

// Ref returns the reference by which profiles name the provider.
func (p *ProviderDecl) Ref() string { return p.Kind + "." + p.Name }

type providerBlock struct {
	Kind      string    `hcl:"kind,label"`
	Name      string    `hcl:"name,label"`
	Body      hcl.Body  `hcl:",remain"`
	DeclRange hcl.Range `hcl:",def_range"`
}

func decodeProvider(pb providerBlock, builtins []string) (*ProviderDecl, hcl.Diagnostics) {
	if !slices.Contains(knownKinds(), pb.Kind) {
		return nil, hcl.Diagnostics{errorAt(&pb.DeclRange, "Unknown provider kind",
			fmt.Sprintf("Provider kind %q is not known (known: %s).%s", pb.Kind, strings.Join(knownKinds(), ", "), didYouMean(pb.Kind, knownKinds())))}
	}
	p := &ProviderDecl{Kind: pb.Kind, Name: pb.Name, Implementation: pb.Name, DeclRange: pb.DeclRange}
	if pb.Kind == KindWASM {
		return decodeWASM(p, pb)
	}
	if pb.Kind == KindPlugin {
		return decodePlugin(p, pb)
	}
	return decodeBuiltin(p, pb, builtins)
}

// checks are the attribute checks the wasm and plugin blocks share; a
// failed check adds to diags, positioned on the attribute.
type checks struct {
	pb    providerBlock
	attrs hcl.Attributes
	diags hcl.Diagnostics
}

func newChecks(pb providerBlock) *checks {
	attrs, _ := pb.Body.JustAttributes()
	return &checks{pb: pb, attrs: attrs}
}

// decodeChecked decodes a wasm or plugin block's body into its schema S
// and starts its checks.
func decodeChecked[S any](pb providerBlock) (*S, *checks, hcl.Diagnostics) {
	var b S
	if d := gohcl.DecodeBody(pb.Body, nil, &b); d.HasErrors() {
		return nil, nil, d
	}
	return &b, newChecks(pb), nil
}

// path records the block's path as the provider's implementation and
// reports it when empty; what says what the path names.
func (c *checks) path(p *ProviderDecl, path, what string) {
	p.Implementation = path
	if path == "" {
		c.diags = append(c.diags, errorAt(c.at("path"), "Empty path", what))
	}
}

// oneOf checks that attribute name is one of valid and returns it; def
// when absent.
func (c *checks) oneOf(name string, v *string, valid []string, def string) string {
	if v == nil {
		return def
	}
	if !slices.Contains(valid, *v) {
		c.diags = append(c.diags, errorAt(c.at(name), "Invalid "+name,
			fmt.Sprintf("%s must be one of %s, not %q.%s", name, strings.Join(valid, ", "), *v, didYouMean(*v, valid))))
	}
	return *v
}

// result is the decoded provider, or the diagnostics when a check
// failed.
func (c *checks) result(p *ProviderDecl) (*ProviderDecl, hcl.Diagnostics) {
	if c.diags.HasErrors() {
		return nil, c.diags
	}
	return p, nil
}

// at is where attribute name was written, or the block's header when it
// was not.
func (c *checks) at(name string) *hcl.Range {
	if a, ok := c.attrs[name]; ok {
		return a.Expr.Range().Ptr()
	}
	return &c.pb.DeclRange
}

// sha256 checks a pin (64 hex digits, either case) and returns it in
// lower case; "" when absent.
func (c *checks) sha256(v *string) string {
	if v == nil {
		return ""
	}
	h := strings.ToLower(*v)
	if _, err := hex.DecodeString(h); err != nil || len(h) != 64 {
		c.diags = append(c.diags, errorAt(c.at("sha256"), "Invalid sha256", fmt.Sprintf("sha256 must be 64 hex digits, not %q.", *v)))
	}
	return h
}

// duration parses a positive duration; with off, "off" gives -1. Absent
// is 0 (the host's default).
func (c *checks) duration(name string, v *string, off bool) time.Duration {
	if v == nil {
		return 0
	}
	if off && *v == "off" {
		return -1
	}
	d, err := time.ParseDuration(*v)
	if err != nil || d <= 0 {
		also := ""
		if off {
			also = `, or "off"`
		}
		c.diags = append(c.diags, errorAt(c.at(name), "Invalid "+name,
			fmt.Sprintf("%s is a positive duration such as \"10s\" or \"500ms\"%s, not %q.", name, also, *v)))
		return 0
	}
	return d
}

// relative makes a relative path relative to the kernels file's
// directory instead of the working directory.
func (c *checks) relative(path string) string {
	if path == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(filepath.Dir(c.pb.DeclRange.Filename), path)
}
