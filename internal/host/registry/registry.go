// Package registry turns a kernels.hcl profile into running providers: it
// instantiates each declared provider once, checks it can run on this CPU,
// and hands the dispatch table its candidates per op, each labelled with
// the configuration line it came from.
package registry

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/hcl/v2"

	"github.com/retrollama/retrollama/internal/host/dispatch"
	"github.com/retrollama/retrollama/internal/host/kernelsfile"
	"github.com/retrollama/retrollama/internal/host/wasmhost"
	"github.com/retrollama/retrollama/internal/kernels/builtin"
	"github.com/retrollama/retrollama/internal/kernels/workpool"
	"github.com/retrollama/retrollama/kernels"
)

// Options are the command-line settings that apply to every provider.
type Options struct {
	// Threads for providers whose block does not set threads; 0 = all cores.
	Threads int
	Logger  hclog.Logger
	// Fallback is the user asking (run and bench --fallback) for a
	// provider that cannot run here, fails to load or start, or fails a
	// call to be passed over for the profile's next provider (the
	// reference last), as on_error = "fallback" in the profile does.
	// Without either, any of these is an error: nothing runs under a
	// name it does not have. With it, Table.Substitutions says what ran
	// instead, and why, for every report to name.
	Fallback bool
	// Builtins is the catalog a provider "builtin" block's implementation
	// is found in: nil is the providers compiled in (builtin.All()); tests
	// and programs embedding retrollama offer providers of their own. The
	// kernels file must have been parsed with its names (ParseWith).
	Builtins []builtin.Info
}

// catalog is the builtin catalog o names.
func (o Options) catalog() []builtin.Info {
	if o.Builtins == nil {
		return builtin.All()
	}
	return o.Builtins
}

// builtinFor returns the catalog entry a provider "builtin" block
// instantiates; false for another kind or a name not in the catalog.
func (o Options) builtinFor(p *kernelsfile.ProviderDecl) (builtin.Info, bool) {
	if p.Kind != kernelsfile.KindBuiltin {
		return builtin.Info{}, false
	}
	for _, info := range o.catalog() {
		if info.Name == p.Implementation {
			return info, true
		}
	}
	return builtin.Info{}, false
}

// BuiltinNames lists the names of a builtin catalog (nil: the providers
// compiled in), for kernelsfile.Parse.
func BuiltinNames(catalog []builtin.Info) []string {
	if catalog == nil {
		catalog = builtin.All()
	}
	names := make([]string, len(catalog))
	for i, info := range catalog {
		names[i] = info.Name
	}
	return names
}

// Load reads and checks the kernels file at path against the builtin
// providers compiled in.
func Load(path string) (*kernelsfile.File, hcl.Diagnostics) {
	return kernelsfile.Load(path, BuiltinNames(nil))
}

// Parse reads and checks kernels file source against the builtin
// providers compiled in; filename is used in diagnostics.
func Parse(filename string, src []byte) (*kernelsfile.File, hcl.Diagnostics) {
	return ParseWith(filename, src, nil)
}

// ParseWith is Parse against another builtin catalog (nil: the providers
// compiled in); open the file with the same catalog in Options.Builtins.
func ParseWith(filename string, src []byte, catalog []builtin.Info) (*kernelsfile.File, hcl.Diagnostics) {
	return kernelsfile.Parse(filename, src, BuiltinNames(catalog))
}

// Open resolves profile in f, builds its providers and returns the
// dispatch table for a model of the given shape.
func Open(f *kernelsfile.File, profile string, shape kernels.Shape, o Options) (*dispatch.Table, error) {
	r, diags := f.Resolve(profile)
	if diags.HasErrors() {
		return nil, kernelsfile.DiagnosticsError(f, diags)
	}
	plan, err := Build(f, r, o)
	if err != nil {
		return nil, err
	}
	return dispatch.New(plan, shape)
}

// Usable reports nil when this CPU can run the declared provider, else why
// not; a builtin provider is looked up among the providers compiled in.
func Usable(p *kernelsfile.ProviderDecl) error { return Options{}.usable(p) }

// usable is Usable with o's builtin catalog.
func (o Options) usable(p *kernelsfile.ProviderDecl) error {
	switch p.Kind {
	case kernelsfile.KindBuiltin:
		info, ok := o.builtinFor(p)
		if !ok {
			return fmt.Errorf("no builtin provider %q", p.Implementation)
		}
		return info.Usable()
	case kernelsfile.KindWASM:
		_, _, err := wasmhost.ChooseEngine(p.WASM.Engine)
		return err
	case kernelsfile.KindPlugin:
		if err := pluginsBuilt(); err != nil {
			return err
		}
		if _, err := os.Stat(p.Plugin.Binary); err != nil {
			if shippedPlugin(p.Plugin.Binary) {
				return fmt.Errorf("plugin binary %s %w (build the shipped plugins with `make plugins`)", p.Plugin.Binary, ErrNotBuilt)
			}
			return fmt.Errorf("plugin binary %s not found (the path of provider %s, %s:%d): %w", p.Plugin.Binary, p.Ref(), p.DeclRange.Filename, p.DeclRange.Start.Line, fs.ErrNotExist)
		}
		return nil
	}
	return fmt.Errorf("provider kind %q is not supported by this build", p.Kind)
}

// ErrNotBuilt is why a shipped plugin cannot run: its binary has not been
// built (make plugins). A missing path of a user's own provider wraps
// fs.ErrNotExist instead: a broken setup, not a step not yet taken.
var ErrNotBuilt = errors.New("not built")

// shippedPlugin reports whether path is one of the plugins "make plugins"
// builds (dist/plugins/NAME), whose missing binary that hint fixes.
func shippedPlugin(path string) bool {
	dir, name := filepath.Split(filepath.Clean(path))
	return filepath.Base(filepath.Clean(dir)) == "plugins" && (name == "goplugin" || name == "cplugin")
}

// New constructs a fresh instance of the provider a declaration describes.
func New(p *kernelsfile.ProviderDecl, o Options) (kernels.Provider, error) {
	switch p.Kind {
	case kernelsfile.KindBuiltin:
		info, ok := o.builtinFor(p)
		if !ok {
			return nil, fmt.Errorf("no builtin provider %q", p.Implementation)
		}
		return info.New(builtin.Options{Threads: threads(p, o)}), nil
	case kernelsfile.KindWASM:
		return newWASM(p, o)
	case kernelsfile.KindPlugin:
		return newPlugin(p, o)
	}
	return nil, fmt.Errorf("provider kind %q is not supported by this build", p.Kind)
}

// Build instantiates the providers profile r routes to and returns the plan
// for dispatch.New. Providers this CPU cannot run are listed as unusable
// candidates (so reports say why they were passed over), not instantiated.
func Build(f *kernelsfile.File, r *kernelsfile.Resolved, o Options) (plan dispatch.Plan, err error) {
	defer func() {
		if err != nil { // no table will own the providers or the pools
			closed := map[kernels.Provider]bool{}
			for _, c := range plan.Candidates {
				for _, cand := range c {
					if cand.Provider != nil && !closed[cand.Provider] {
						closed[cand.Provider] = true
						_ = cand.Provider.Close() // a plugin's process ends here
					}
				}
			}
			for _, c := range plan.Cleanup {
				c()
			}
			plan.Cleanup = nil
		}
	}()
	plan = dispatch.Plan{
		Candidates: map[kernels.Op][]dispatch.Candidate{},
		Fallback:   r.OnError == kernelsfile.OnErrorFallback || o.Fallback,
		Logger:     o.Logger,
	}
	instances := map[string]kernels.Provider{}
	// One worker pool per thread count, shared by the table's builtin
	// providers (see workpool.Start); the table closes them.
	pools := map[int]*workpool.Pool{}
	pool := func(n int) *workpool.Pool {
		if n <= 0 {
			n = runtime.GOMAXPROCS(0)
		}
		if pools[n] == nil {
			pools[n] = workpool.New(n)
			plan.Cleanup = append(plan.Cleanup, pools[n].Close)
		}
		return pools[n]
	}
	failed := map[string]string{} // providers that failed to load, and why
	warned := map[string]bool{}   // unusable providers already logged
	for _, op := range kernels.AllOps() {
		route := r.Routes[op]
		for _, ref := range route.Use {
			decl := f.Provider(ref.Name)
			if decl == nil {
				return plan, fmt.Errorf("%s: profile %s names undeclared provider %s", f.Path, r.Profile, ref.Name)
			}
			c := dispatch.Candidate{Label: ref.Name, Source: Source(route)}
			if err := o.usable(decl); err != nil {
				if !plan.Fallback {
					return plan, &UnusableError{Profile: r.Profile, Provider: ref.Name, Op: op, Err: err}
				}
				c.Unusable = err.Error()
				if !warned[ref.Name] {
					// The profile asked for it: say why it does not run
					// (a plugin not built, another CPU's assembly).
					warned[ref.Name] = true
					log(o).Info("kernel provider cannot run here; passing it over", "provider", ref.Name, "reason", c.Unusable)
				}
			} else if why, ok := failed[ref.Name]; ok {
				c.Unusable = why
			} else {
				p, ok := instances[ref.Name]
				if !ok {
					var err error
					if info, ok := o.builtinFor(decl); ok {
						p = info.New(builtin.Options{Pool: pool(threads(decl, o))})
					} else if p, err = New(decl, o); err != nil {
						if !plan.Fallback {
							return plan, &UnusableError{Profile: r.Profile, Provider: ref.Name, Op: op, Err: fmt.Errorf("failed to load: %w", err)}
						}
						// on_error = "fallback": a provider that cannot
						// load is passed over, and the log says why.
						log(o).Info("kernel provider failed to load; passing it over", "provider", ref.Name, "error", err)
						failed[ref.Name] = "failed to load: " + err.Error()
						c.Unusable = failed[ref.Name]
						plan.Candidates[op] = append(plan.Candidates[op], c)
						continue
					}
					instances[ref.Name] = p
				}
				c.Provider = p
			}
			plan.Candidates[op] = append(plan.Candidates[op], c)
		}
	}
	return plan, nil
}

// UnusableError is a profile naming a provider that cannot run here (or
// cannot load) when no fallback was asked for.
type UnusableError struct {
	Profile  string
	Provider string
	Op       kernels.Op // the first op routed to it
	Err      error
}

func (e *UnusableError) Error() string {
	return fmt.Sprintf("profile %s: provider %s (for %s) cannot run here: %v; nothing was run in its place "+
		"(--fallback, or on_error = \"fallback\" in the profile, runs its ops on the profile's next provider and says so)",
		e.Profile, e.Provider, e.Op, e.Err)
}

func (e *UnusableError) Unwrap() error { return e.Err }

// Source renders where a route was configured: "file:line:col (profile
// P, op O)" or "(profile P, default)".
func Source(route kernelsfile.Route) string {
	if route.Profile == "" {
		return "no provider configured"
	}
	at := fmt.Sprintf("%s:%d:%d", route.From.Filename, route.From.Start.Line, route.From.Start.Column)
	return fmt.Sprintf("%s (profile %s)", at, route.Profile)
}

// DefaultProfile returns the first profile of the file's default_profiles
// whose providers (builtin ones from those compiled in) can all run on
// this CPU, or "reference" when the file
// has no preference list.
func DefaultProfile(f *kernelsfile.File) (string, error) {
	if len(f.DefaultProfiles) == 0 {
		if f.Profile("reference") != nil {
			return "reference", nil
		}
		return "", fmt.Errorf("%s: no default_profiles and no profile \"reference\"; choose one with --profile", f.Path)
	}
	var why []string
	for _, ref := range f.DefaultProfiles {
		r, diags := f.Resolve(ref.Name)
		if diags.HasErrors() {
			return "", kernelsfile.DiagnosticsError(f, diags)
		}
		if err := profileUsable(f, r); err != nil {
			why = append(why, fmt.Sprintf("%s: %v", ref.Name, err))
			continue
		}
		return ref.Name, nil
	}
	return "", fmt.Errorf("%s: no profile of default_profiles can run on this CPU (%v)", f.Path, why)
}

// profileUsable reports whether every provider a profile names can run
// here.
func profileUsable(f *kernelsfile.File, r *kernelsfile.Resolved) error {
	for _, op := range kernels.AllOps() {
		for _, ref := range r.Routes[op].Use {
			if err := Usable(f.Provider(ref.Name)); err != nil {
				return fmt.Errorf("%s: %w", ref.Name, err)
			}
		}
	}
	return nil
}

// threads is a provider's threads per op: its block's, else the
// command's.
func threads(p *kernelsfile.ProviderDecl, o Options) int {
	if p.Threads != 0 {
		return p.Threads
	}
	return o.Threads
}
