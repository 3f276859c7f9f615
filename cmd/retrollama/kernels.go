package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/retrollama/retrollama/host/checkpoint"
	"github.com/retrollama/retrollama/host/dispatch"
	"github.com/retrollama/retrollama/host/model"
	"github.com/retrollama/retrollama/host/registry"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/builtin"
)

const kernelsUsage = `Usage: retrollama kernels <list|explain|check> [options]

  list     providers declared in kernels.hcl and built in: usable on this CPU or why not
  explain  the resolved op → provider table for a model's actual shapes, with the reason
           for each choice and the configuration line it came from
  check    the conformance suite: every provider of a profile (or one --provider)
           against the scalar reference, on synthetic shapes and replayed activations

Options (all subcommands):
  --kernels <file>   kernels.hcl to read (default: the built-in copy)
  --profile <name>   kernel profile (default: the best one for this CPU)
  --threads <int>    threads per op (0 = all cores)
  --engine <name>    run every wasm provider on this engine: auto, compiler or interpreter
explain and check:
  --model <file>     checkpoint whose shapes to use (default: --synthetic)
  --synthetic <name> built-in model shape (default stories15M for explain, stories260K for check)
check:
  --provider <kind.name>  check one provider instead of a profile's
  --nmse                  hold outputs to ggml's NMSE bound instead of the default
                          exact mode (bit-identical to the reference), for a
                          third-party provider that reassociates its sums
`

// kernelsCommand is "retrollama kernels ...".
func kernelsCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, kernelsUsage)
		return 1
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("kernels "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var k kernelFlags
	k.register(fs)
	modelPath := fs.String("model", "", "")
	synthetic := fs.String("synthetic", "", "")
	provider := fs.String("provider", "", "")
	nmse := fs.Bool("nmse", false, "")
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, kernelsUsage)
		return 0
	}
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err != nil {
		fmt.Fprintf(stderr, "%v\n%s", err, kernelsUsage)
		return 1
	}
	switch sub {
	case "list":
		err = kernelsList(&k, stdout)
	case "explain":
		err = kernelsExplain(&k, *modelPath, *synthetic, stdout, stderr)
	case "check":
		var failed bool
		failed, err = kernelsCheck(&k, *provider, *modelPath, *synthetic, checkMode(*nmse), stdout, stderr)
		if err == nil && failed {
			return 1
		}
	default:
		fmt.Fprintf(stderr, "retrollama kernels: unknown subcommand %q\n%s", sub, kernelsUsage)
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "retrollama kernels %s: %v\n", sub, err)
		return 1
	}
	return 0
}

// kernelsList prints every declared provider and every builtin one.
func kernelsList(k *kernelFlags, w io.Writer) error {
	f, profile, err := k.load()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "PROVIDER\tIMPLEMENTATION\tUSABLE\tDECLARED AT\tDESCRIPTION\n")
	declared := map[string]bool{}
	for _, p := range f.Providers {
		declared[p.Implementation] = true
		usable := "yes"
		if err := registry.Usable(p); err != nil {
			usable = "no: " + err.Error()
		}
		desc := p.Builtin.Description
		if p.WASM != nil {
			desc = wasmDescription(p.WASM)
		}
		if p.Plugin != nil {
			desc = pluginDescription(p.Plugin)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s:%d\t%s\n", p.Ref(), p.Implementation, usable, p.DeclRange.Filename, p.DeclRange.Start.Line, desc)
	}
	for _, info := range builtin.All() {
		if declared[info.Name] {
			continue
		}
		usable := "yes"
		if err := info.Usable(); err != nil {
			usable = "no: " + err.Error()
		}
		fmt.Fprintf(tw, "(builtin.%s)\t%s\t%s\t%s\t%s\n", info.Name, info.Name, usable, "not declared", info.Description)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var names []string
	for _, p := range f.Profiles {
		names = append(names, p.Name)
	}
	fmt.Fprintf(w, "\nprofiles: %s; default on this CPU: %s\n", strings.Join(names, ", "), profile)
	return nil
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
	fmt.Fprintf(w, "profile %s, model %s (%v)\n\n", profile, ck.Path, ck.Config)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "OP\tUSE\tPROVIDER\tCONFIGURED AT\tPASSED OVER\n")
	for _, g := range groupDecisions(ops.Decisions()) {
		passed := strings.Join(g.d.Passed, "; ")
		if passed == "" {
			passed = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", g.d.Op, g.use, g.d.Chosen, g.d.Source, passed)
	}
	if err := tw.Flush(); err != nil {
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

// decisionGroup is one line of explain: decisions that agree on op, shape
// and outcome, e.g. the six layers' wq.
type decisionGroup struct {
	d   dispatch.Decision
	use string
}

func groupDecisions(ds []dispatch.Decision) []decisionGroup {
	type key struct {
		op             string
		rows, cols     int
		dtype          kernels.DType
		chosen, passed string
	}
	index := map[key]int{}
	var groups []decisionGroup
	var names [][]string
	for _, d := range ds {
		k := key{string(d.Op), d.Rows, d.Cols, d.DType, d.Chosen, strings.Join(d.Passed, ";")}
		i, ok := index[k]
		if !ok {
			i = len(groups)
			index[k] = i
			groups = append(groups, decisionGroup{d: d})
			names = append(names, nil)
		}
		if d.Tensor != "" {
			names[i] = append(names[i], tensorKind(d.Tensor))
		}
	}
	for i := range groups {
		if g := &groups[i]; g.d.Tensor == "" {
			g.use = "all calls"
		} else {
			g.use = fmt.Sprintf("%d×%d %s", g.d.Rows, g.d.Cols, summarize(names[i]))
			if g.d.DType != kernels.F32 {
				g.use = fmt.Sprintf("%d×%d %s %s", g.d.Rows, g.d.Cols, g.d.DType, summarize(names[i]))
			}
		}
	}
	return groups
}

// tensorKind turns "layers.3.wq" into "wq".
func tensorKind(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// summarize renders tensor kinds with counts: "wq×6, wo×6".
func summarize(kinds []string) string {
	count := map[string]int{}
	var order []string
	for _, k := range kinds {
		if count[k] == 0 {
			order = append(order, k)
		}
		count[k]++
	}
	sort.Strings(order)
	parts := make([]string, len(order))
	for i, k := range order {
		parts[i] = k
		if count[k] > 1 {
			parts[i] = fmt.Sprintf("%s×%d", k, count[k])
		}
	}
	return strings.Join(parts, ", ")
}
