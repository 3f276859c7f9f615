package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/internal/host/dispatch"
	"github.com/retrollama/retrollama/internal/host/kernelsfile"
	"github.com/retrollama/retrollama/internal/host/model"
	"github.com/retrollama/retrollama/internal/host/registry"
	"github.com/retrollama/retrollama/internal/kernels/builtin"
	"github.com/retrollama/retrollama/internal/suggest"
	"github.com/retrollama/retrollama/internal/table"
	"github.com/retrollama/retrollama/kernels"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// kernelsOptions are the flags of the kernels subcommands.
type kernelsOptions struct {
	k         kernelFlags
	modelPath string
	synthetic string
	provider  string
	nmse      bool
	verbose   bool
}

// newKernelsCmd is "retrollama kernels list|explain|check".
func newKernelsCmd(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kernels",
		Short: "kernel providers: list them, explain a profile's choices, check them against the reference",
		Args:  subcommandArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return usageErrorf("give a subcommand: list, explain or check")
		},
	}
	shapes := func(fs *pflag.FlagSet, o *kernelsOptions, def string) {
		fs.StringVar(&o.modelPath, "model", "", "checkpoint `file` whose shapes to use (default: --synthetic)")
		fs.StringVar(&o.synthetic, "synthetic", "", "built-in model `shape` (default "+def+"): "+shapeList())
	}
	var list kernelsOptions
	listCmd := &cobra.Command{
		Use:   "list",
		Short: "providers declared in kernels.hcl and built in: usable on this CPU or why not",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return kernelsList(&list.k, list.verbose, stdout)
		},
	}
	list.k.register(listCmd.Flags(), stderr)
	listCmd.Flags().BoolVarP(&list.verbose, "verbose", "v", false, "also each provider's implementation, declaration and full description")

	var explain kernelsOptions
	explainCmd := &cobra.Command{
		Use:   "explain",
		Short: "the resolved op → provider table for a model's shapes, with the reason for each choice",
		Long: `Prints the op → provider table a profile resolves to for a model's actual shapes, with the
reason for each choice and the kernels.hcl line it came from.`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return kernelsExplain(&explain.k, explain.modelPath, explain.synthetic, stdout, stderr)
		},
	}
	explain.k.register(explainCmd.Flags(), stderr)
	shapes(explainCmd.Flags(), &explain, defaultSynthetic)

	var check kernelsOptions
	checkCmd := &cobra.Command{
		Use:   "check",
		Short: "the conformance suite: providers against the scalar reference",
		Long: `Runs the conformance suite: every provider of a profile (--profile), one provider
(--provider), or every declared provider, against the scalar reference, on synthetic
shapes and on activations replayed from a model. Exact mode (the default) wants every
output bit-identical to the reference's; --nmse relaxes that to ggml's NMSE bound.

Verdicts, per provider and overall (the last line): PASS when at least one case ran and
every case that ran passed; FAIL when a case failed or the provider could not start;
SKIP when nothing ran (it cannot run on this machine, or declined every case).
Exit status: 0 PASS, 1 FAIL (or an error), 3 SKIP (nothing was tested).`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			verdict, err := kernelsCheck(&check.k, check.provider, check.modelPath, check.synthetic, checkMode(check.nmse), check.verbose, stdout, stderr)
			if err != nil {
				return err
			}
			return verdictExit(verdict)
		},
	}
	check.k.register(checkCmd.Flags(), stderr)
	shapes(checkCmd.Flags(), &check, "stories260K")
	checkCmd.Flags().StringVar(&check.provider, "provider", "", "check one `provider` (kind.name) instead of a profile's")
	checkCmd.Flags().BoolVar(&check.nmse, "nmse", false, "hold outputs to ggml's NMSE bound instead of exact mode, for a provider that reassociates its sums")
	checkCmd.Flags().BoolVarP(&check.verbose, "verbose", "v", false, "list every skipped case instead of one line per op and dtype")
	cmd.AddCommand(listCmd, explainCmd, checkCmd)
	return cmd
}

// kernelsList prints every declared provider and every builtin one: name,
// whether it runs here (or why not) and what it is; -v adds the
// implementation, where it is declared, and the whole description.
func kernelsList(k *kernelFlags, verbose bool, w io.Writer) error {
	f, profile, err := k.load()
	if err != nil {
		return err
	}
	tab := table.New("PROVIDER", "USABLE", "DESCRIPTION").Fit(termWidth(w))
	if verbose {
		tab = table.New("PROVIDER", "IMPLEMENTATION", "USABLE", "DECLARED AT", "DESCRIPTION").Fit(termWidth(w))
	}
	row := func(ref, impl, usable, at, desc string) {
		if verbose {
			tab.Row(ref, impl, usable, at, desc)
			return
		}
		tab.Row(ref, usable, brief(desc))
	}
	declared := map[string]bool{}
	for _, p := range f.Providers {
		declared[p.Implementation] = true
		usable := "yes"
		if err := registry.Usable(p); err != nil {
			usable = "no: " + err.Error()
		}
		var desc string
		if info, ok := builtin.Lookup(p.Implementation); ok && p.Kind == kernelsfile.KindBuiltin {
			desc = info.Description
		}
		if p.WASM != nil {
			desc = p.WASM.Describe(wasmHost())
		}
		if p.Plugin != nil {
			desc = p.Plugin.Describe()
		}
		row(p.Ref(), p.Implementation, usable, fmt.Sprintf("%s:%d", p.DeclRange.Filename, p.DeclRange.Start.Line), desc)
	}
	undeclared := 0
	for _, info := range builtin.All() {
		if declared[info.Name] {
			continue
		}
		undeclared++
		if !verbose {
			continue
		}
		usable := "yes"
		if err := info.Usable(); err != nil {
			usable = "no: " + err.Error()
		}
		row("(builtin."+info.Name+")", info.Name, usable, "not declared", info.Description)
	}
	if err := tab.Render(w); err != nil {
		return err
	}
	if undeclared > 0 && !verbose {
		fmt.Fprintf(w, "(%d builtin providers not declared in %s: -v lists them)\n", undeclared, f.Path)
	}
	var names []string
	for _, p := range f.Profiles {
		names = append(names, p.Name)
	}
	fmt.Fprintf(w, "\nprofiles: %s; default on this CPU: %s\n", strings.Join(names, ", "), profile)
	return nil
}

// declared is nil when f declares the provider ref ("kind.name", as
// --provider names it), else the usage error that lists the declared
// ones and the closest.
func declared(f *kernelsfile.File, ref string) error {
	if f.Provider(ref) != nil {
		return nil
	}
	var all []string
	for _, p := range f.Providers {
		all = append(all, p.Ref())
	}
	return usageErrorf("%s declares no provider %s (providers: %s).%s", f.Path, ref, strings.Join(all, ", "), suggest.DidYouMean(ref, all))
}

// brief is a description's first clause (up to its first ';' or ':' after
// a few words), for the short list; -v shows the rest.
func brief(desc string) string {
	if i := strings.IndexAny(desc, ";"); i > 0 {
		desc = desc[:i]
	}
	const max = 60
	if r := []rune(desc); len(r) > max {
		cut := strings.LastIndexByte(string(r[:max]), ' ')
		if cut < max/2 {
			cut = len(string(r[:max]))
		}
		desc = string(r[:max])[:cut] + "…"
	}
	return desc
}

// openShapes returns the checkpoint whose shapes explain/check use.
func openShapes(modelPath, synthetic, fallback string) (*checkpoint.Checkpoint, error) {
	if modelPath != "" && synthetic != "" {
		return nil, fmt.Errorf("give --model or --synthetic, not both")
	}
	if modelPath != "" {
		return checkpoint.Open(modelPath)
	}
	if synthetic == "" {
		synthetic = fallback
	}
	return syntheticModel(synthetic)
}

// kernelsExplain prints the resolved op → provider table for a model.
func kernelsExplain(k *kernelFlags, modelPath, synthetic string, w, stderr io.Writer) error {
	k.fallback = true // explain shows what a profile would pass over, and why
	ck, err := openShapes(modelPath, synthetic, defaultSynthetic)
	if err != nil {
		return err
	}
	defer ck.Close()
	ops, profile, err := k.table(ck.Config, newLogger(stderr))
	if err != nil {
		return err
	}
	defer ops.Close()
	if _, err := model.New(ck, ops); err != nil {
		return err
	}
	fmt.Fprintf(w, "profile %s, model %s\n(%v)\n\n", profile, ck.Path, ck.Config)
	tab := table.New("OP", "USE", "PROVIDER", "CONFIGURED AT", "PASSED OVER").Fit(termWidth(w))
	for _, g := range dispatch.GroupDecisions(ops.Decisions()) {
		passed := strings.Join(g.Decision.Passed, "; ")
		if passed == "" {
			passed = "-"
		}
		tab.Row(string(g.Decision.Op), g.Use, g.Decision.Chosen, g.Decision.Source, passed)
	}
	if err := tab.Render(w); err != nil {
		return err
	}
	first := true
	for _, p := range ops.Providers() {
		if d, ok := p.(kernels.Describer); ok {
			if first {
				fmt.Fprintln(w)
				first = false
			}
			fmt.Fprintf(w, "%s\n", d.Describe())
		}
	}
	return nil
}
