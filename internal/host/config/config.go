// Package config reads kernels.hcl: which kernel providers exist and, per
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
package config

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/retrollama/retrollama/internal/suggest"
	"github.com/retrollama/retrollama/kernels"
	pluginspec "github.com/retrollama/retrollama/plugins/kernelplugin/spec"
	wasmspec "github.com/retrollama/retrollama/plugins/wasm/spec"
)

// Provider kinds that kernels.hcl may declare.
const (
	KindBuiltin = "builtin"
	KindWASM    = "wasm"
	KindPlugin  = "plugin"
)

// knownKinds lists the provider kinds this build understands.
func knownKinds() []string { return []string{KindBuiltin, KindWASM, KindPlugin} }

// WASM is the configuration of a provider of kind wasm (see
// plugins/wasm/ABI.md and internal/host/wasmhost).
type WASM struct {
	// Path is the module as written: a file, or wasmspec.EmbeddedPrefix and the
	// name of a shipped module.
	Path string
	// Module is Path with a relative file path made relative to the
	// directory of the kernels file instead of the working directory.
	Module string
	// SHA256, when set, pins the module's bytes (hex): a module whose
	// hash differs is refused.
	SHA256 string
	// Engine is auto, compiler or interpreter.
	Engine string
	// MemoryMiB caps the module's linear memory (0: the host's default).
	MemoryMiB int
	// Timeout bounds each call into the module (0: the host's default;
	// negative: "off", no timeout and no termination checks).
	Timeout time.Duration
}

type wasmSchema struct {
	Path      string  `hcl:"path"`
	SHA256    *string `hcl:"sha256,optional"`
	Engine    *string `hcl:"engine,optional"`
	MemoryMiB *int    `hcl:"memory_mib,optional"`
	Timeout   *string `hcl:"timeout,optional"`
}

// wasmEngines are the valid engines of a wasm provider (the list the
// host runs by; config keeps no copy that could drift).
var wasmEngines = wasmspec.Engines()

// Plugin is the configuration of a provider of kind plugin: a kernel
// provider in its own process (see internal/host/pluginhost and
// plugins/kernelplugin).
type Plugin struct {
	// Path is the binary as written; Binary is Path made relative to the
	// directory of the kernels file when it is relative.
	Path, Binary string
	Args         []string
	// SHA256, when set, pins the binary (hex): it is not started when its
	// hash differs.
	SHA256 string
	// ProtocolVersion the plugin must speak (0: this build's).
	ProtocolVersion int
	// StartTimeout bounds the start and each control call; CallTimeout
	// each op (0: the host's defaults; CallTimeout < 0: "off").
	StartTimeout, CallTimeout time.Duration
	// Transport is auto, shm or grpc.
	Transport string
}

type pluginSchema struct {
	Path            string    `hcl:"path"`
	Args            *[]string `hcl:"args,optional"`
	SHA256          *string   `hcl:"sha256,optional"`
	ProtocolVersion *int      `hcl:"protocol_version,optional"`
	StartTimeout    *string   `hcl:"start_timeout,optional"`
	CallTimeout     *string   `hcl:"call_timeout,optional"`
	Transport       *string   `hcl:"transport,optional"`
	Threads         *int      `hcl:"threads,optional"`
}

// pluginTransports are the valid transports of a plugin provider.
var pluginTransports = pluginspec.Transports()

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

// File is a parsed and checked kernels.hcl.
type File struct {
	Path            string
	Providers       []*Provider
	Profiles        []*Profile
	DefaultProfiles []Ref // profile names, in order of preference
	Benches         []*Bench
	hclFile         *hcl.File
}

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

// Provider is one provider block.
type Provider struct {
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
func (p *Provider) Ref() string { return p.Kind + "." + p.Name }

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

type fileSchema struct {
	Providers       []providerBlock `hcl:"provider,block"`
	Profiles        []profileBlock  `hcl:"profile,block"`
	Benches         []benchBlock    `hcl:"bench,block"`
	DefaultProfiles hcl.Expression  `hcl:"default_profiles,optional"`
}

type providerBlock struct {
	Kind      string    `hcl:"kind,label"`
	Name      string    `hcl:"name,label"`
	Body      hcl.Body  `hcl:",remain"`
	DeclRange hcl.Range `hcl:",def_range"`
}

type builtinSchema struct {
	Implementation *string `hcl:"implementation,optional"`
	Threads        *int    `hcl:"threads,optional"`
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

func (f *File) provider(ref string) *Provider {
	for _, p := range f.Providers {
		if p.Ref() == ref {
			return p
		}
	}
	return nil
}

// Provider returns the provider declared as ref ("kind.name"), or nil.
func (f *File) Provider(ref string) *Provider { return f.provider(ref) }

func decodeProvider(pb providerBlock, builtins []string) (*Provider, hcl.Diagnostics) {
	if !slices.Contains(knownKinds(), pb.Kind) {
		return nil, hcl.Diagnostics{errorAt(&pb.DeclRange, "Unknown provider kind",
			fmt.Sprintf("Provider kind %q is not known (known: %s).%s", pb.Kind, strings.Join(knownKinds(), ", "), didYouMean(pb.Kind, knownKinds())))}
	}
	p := &Provider{Kind: pb.Kind, Name: pb.Name, Implementation: pb.Name, DeclRange: pb.DeclRange}
	if pb.Kind == KindWASM {
		return decodeWASM(p, pb)
	}
	if pb.Kind == KindPlugin {
		return decodePlugin(p, pb)
	}
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

// decodeWASM reads the body of a provider "wasm" block.
func decodeWASM(p *Provider, pb providerBlock) (*Provider, hcl.Diagnostics) {
	var b wasmSchema
	if d := gohcl.DecodeBody(pb.Body, nil, &b); d.HasErrors() {
		return nil, d
	}
	c := newChecks(pb)
	at := c.at
	w := &WASM{Path: b.Path, Engine: wasmspec.EngineAuto}
	p.Implementation = b.Path
	if b.Path == "" {
		c.diags = append(c.diags, errorAt(at("path"), "Empty path", "path names the module: a .wasm file, or embedded:NAME for a shipped module."))
	}
	w.SHA256 = c.sha256(b.SHA256)
	if b.Engine != nil {
		w.Engine = *b.Engine
		if !slices.Contains(wasmEngines, w.Engine) {
			c.diags = append(c.diags, errorAt(at("engine"), "Invalid engine",
				fmt.Sprintf("engine must be one of %s, not %q.%s", strings.Join(wasmEngines, ", "), w.Engine, didYouMean(w.Engine, wasmEngines))))
		}
	}
	if b.MemoryMiB != nil {
		w.MemoryMiB = *b.MemoryMiB
		if w.MemoryMiB < 1 || w.MemoryMiB > wasmspec.MaxMemoryMiB {
			c.diags = append(c.diags, errorAt(at("memory_mib"), "Invalid memory_mib", fmt.Sprintf("memory_mib must be 1 to %d: WASM memory is 32-bit.", wasmspec.MaxMemoryMiB)))
		}
	}
	w.Timeout = c.duration("timeout", b.Timeout, true)
	w.Module = w.Path
	if !strings.HasPrefix(w.Path, wasmspec.EmbeddedPrefix) {
		w.Module = c.relative(w.Path)
	}
	p.WASM = w
	if c.diags.HasErrors() {
		return nil, c.diags
	}
	return p, nil
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

func rangePtr(r hcl.Range) *hcl.Range { return &r }

func errorAt(r *hcl.Range, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: r}
}

// didYouMean returns ` Did you mean "x"?` for the closest candidate within
// a small edit distance, or "".
func didYouMean(given string, candidates []string) string {
	return suggest.DidYouMean(given, candidates)
}

// decodePlugin reads the body of a provider "plugin" block.
func decodePlugin(p *Provider, pb providerBlock) (*Provider, hcl.Diagnostics) {
	var b pluginSchema
	if d := gohcl.DecodeBody(pb.Body, nil, &b); d.HasErrors() {
		return nil, d
	}
	c := newChecks(pb)
	at := c.at
	g := &Plugin{Path: b.Path, Transport: pluginspec.TransportAuto}
	p.Implementation = b.Path
	if b.Path == "" {
		c.diags = append(c.diags, errorAt(at("path"), "Empty path", "path names the plugin binary, relative to this file's directory or absolute."))
	}
	if b.Args != nil {
		g.Args = *b.Args
	}
	g.SHA256 = c.sha256(b.SHA256)
	if b.ProtocolVersion != nil {
		g.ProtocolVersion = *b.ProtocolVersion
		if g.ProtocolVersion != pluginspec.Version {
			c.diags = append(c.diags, errorAt(at("protocol_version"), "Unsupported protocol_version",
				fmt.Sprintf("This build speaks kernel plugin protocol %d, not %d.", pluginspec.Version, g.ProtocolVersion)))
		}
	}
	g.StartTimeout = c.duration("start_timeout", b.StartTimeout, false)
	g.CallTimeout = c.duration("call_timeout", b.CallTimeout, true)
	if b.Transport != nil {
		g.Transport = *b.Transport
		if !slices.Contains(pluginTransports, g.Transport) {
			c.diags = append(c.diags, errorAt(at("transport"), "Invalid transport",
				fmt.Sprintf("transport must be one of %s, not %q.%s", strings.Join(pluginTransports, ", "), g.Transport, didYouMean(g.Transport, pluginTransports))))
		}
	}
	if b.Threads != nil {
		if *b.Threads < 0 {
			c.diags = append(c.diags, errorAt(at("threads"), "Invalid threads", "threads must be 0 (all cores) or more."))
		}
		p.Threads = *b.Threads
	}
	g.Binary = c.relative(g.Path)
	p.Plugin = g
	if c.diags.HasErrors() {
		return nil, c.diags
	}
	return p, nil
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
