package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/retrollama/retrollama/internal/bench"
	"github.com/retrollama/retrollama/internal/bench/analysis"
	"github.com/retrollama/retrollama/internal/bench/compare"
	"github.com/retrollama/retrollama/internal/bench/ops"
	"github.com/retrollama/retrollama/internal/bench/report"
	"github.com/retrollama/retrollama/internal/bench/runner"
	"github.com/retrollama/retrollama/internal/bench/stats"
	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/internal/host/kernelsfile"
	"github.com/retrollama/retrollama/internal/suggest"
	"github.com/retrollama/retrollama/kernels"
)

// benchOptions are the bench command's settings.
type benchOptions struct {
	profiles     [4]string
	name         string
	modelPath    string
	synthetic    string
	gen, prompt  int
	runs, warmup int
	untilCI      string
	maxRuns      int
	isolate      bool
	format       string
	out, html    string
	kernels      kernelFlags
	worker       bool // internal: one --isolate measurement
	set          map[string]bool
	// External commands: --cmd NAME=TEMPLATE in the order given,
	// --cmd-regex NAME=RE, and the placeholders' values.
	cmds      []nameValue
	cmdRegex  map[string]string
	tokenizer string
	cmdPrompt string
	seed      uint64
}

// nameValue is one NAME=VALUE flag.
type nameValue struct{ name, value string }

// parseNameValue splits a --cmd or --cmd-regex value at its first '='.
func parseNameValue(flagName, s string) (nameValue, error) {
	name, value, ok := strings.Cut(s, "=")
	if !ok || name == "" || value == "" {
		return nameValue{}, fmt.Errorf("--%s %q: want NAME=VALUE, e.g. --cmd llama2c='./run {model} -n {steps}'", flagName, s)
	}
	return nameValue{name, value}, nil
}

func (o *benchOptions) flags(fs *pflag.FlagSet, stderr io.Writer) {
	fs.SortFlags = false
	for i, l := range []string{"a", "b", "c", "d"} {
		fs.StringVar(&o.profiles[i], l, "", "")
	}
	fs.Lookup("a").Usage = "baseline `profile` (NAME@N: NAME on N threads per op, e.g. avx2@1; cmd:NAME: the --cmd NAME)"
	fs.Lookup("b").Usage = "`profile` compared with A"
	fs.Lookup("c").Usage = "a third `profile`"
	fs.Lookup("d").Usage = "a fourth `profile`"
	fs.StringVar(&o.name, "name", "", "run a saved bench `block` of kernels.hcl (flags given also override it)")
	fs.StringVar(&o.modelPath, "model", "", "checkpoint `file` (default: --synthetic "+defaultSynthetic+")")
	fs.StringVar(&o.synthetic, "synthetic", "", "built-in `model`: "+shapeList()+" (each also NAME-q8)")
	fs.IntVarP(&o.gen, "n", "n", 128, "tokens generated per run")
	fs.IntVar(&o.prompt, "prompt-tokens", 32, "prompt tokens processed per run")
	fs.IntVar(&o.runs, "runs", 10, "measured runs per profile, at least 2")
	fs.IntVar(&o.warmup, "warmup", 2, "unmeasured rounds first")
	fs.StringVar(&o.untilCI, "until-ci", "", "keep running until each tg 95% CI half-width is below this `percent` (e.g. 2%)")
	fs.IntVar(&o.maxRuns, "max-runs", 50, "most measured runs per profile with --until-ci")
	fs.BoolVar(&o.isolate, "isolate", false, "every measured run in a fresh process")
	fs.BoolVar(&o.kernels.fallback, "fallback", false, "run a profile whose provider cannot run here on the next provider (and say so in every report) instead of stopping")
	fs.StringVar(&o.format, "format", "text", "report `format`: text, md, json, csv or benchstat")
	fs.StringVar(&o.out, "out", "", "write the report to `file` instead of stdout")
	fs.StringVar(&o.html, "html", "", "also write a self-contained HTML report with charts to `file`")
	fs.BoolVar(&o.worker, "worker", false, "internal: one --isolate measurement")
	_ = fs.MarkHidden("worker")
	fs.Func("cmd", "time external command `NAME='TEMPLATE'` in the same runs (repeatable; see above)", func(s string) error {
		nv, err := parseNameValue("cmd", s)
		if err == nil && slices.ContainsFunc(o.cmds, func(c nameValue) bool { return c.name == nv.name }) {
			err = fmt.Errorf("--cmd %s given twice", nv.name)
		}
		o.cmds = append(o.cmds, nv)
		return err
	})
	o.cmdRegex = map[string]string{}
	fs.Func("cmd-regex", "read command NAME's tokens/s with `NAME='RE'` (one capture group) instead", func(s string) error {
		nv, err := parseNameValue("cmd-regex", s)
		o.cmdRegex[nv.name] = nv.value
		return err
	})
	fs.StringVar(&o.tokenizer, "tokenizer", "tokenizer.bin", "{tokenizer} for --cmd")
	fs.StringVar(&o.cmdPrompt, "cmd-prompt", "", "{prompt} for --cmd (default empty: llama2.c starts from BOS alone)")
	fs.Uint64Var(&o.seed, "seed", 42, "{seed} for --cmd")
	o.kernels.register(fs, stderr)
	fs.StringVar(&o.kernels.file, "config", "", "alias of --kernels")
}

// benchLong is bench's help text above the flags.
const benchLong = `Runs the profiles interleaved (A B A B ...) after warm-up on one deterministic token
sequence, and reports prompt (pp) and generation (tg) tokens/s with 95% CIs, B's speedup
over A with a Mann-Whitney U p-value, greedy agreement and logit differences, and the
time per token in each op, naming the provider that ran each op.

A profile whose provider cannot run here (a plugin not built, another CPU's assembly,
a missing WASM file) stops the bench before anything is measured, unless --fallback
(or on_error = "fallback" in the profile): then the next provider runs it and every
report says which provider ran each op instead of the one named, and why.

` + benchExternalHelp

// newBenchCmd is "retrollama bench" and its subcommands.
func newBenchCmd(stdout, stderr io.Writer) *cobra.Command {
	var o benchOptions
	cmd := &cobra.Command{
		Use:   "bench --a PROFILE --b PROFILE [flags]",
		Short: "A/B benchmark of kernel profiles (or against a program such as llama2.c)",
		Long:  benchLong,
		Example: `  retrollama bench --a reference --b fast
  retrollama bench --a avx2@1 --b avx2@2 --model stories15M.bin -n 256
  retrollama bench --a avx2 --cmd llama2c='/tmp/l2c/run {model} -z {tokenizer} -t 0 -n {steps}' --prompt-tokens 0
  retrollama bench --name fast-vs-reference --format json --out new.json`,
		Args: subcommandArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			o.set = map[string]bool{}
			c.Flags().Visit(func(f *pflag.Flag) { o.set[f.Name] = true })
			return runBench(c.Context(), &o, stdout, stderr)
		},
	}
	o.flags(cmd.Flags(), stderr)
	cmd.AddCommand(newBenchCompareCmd(stdout, stderr), newBenchOpsCmd(stdout, stderr))
	return cmd
}

// benchExternalHelp is the help on --cmd.
const benchExternalHelp = `External commands (e.g. llama2.c's run, to compare against):
  --cmd NAME='TEMPLATE'  (repeatable) time a program in the same interleaved runs as
                         the profiles, e.g.
                           --a avx2 --cmd llama2c='/tmp/l2c/run {model} -z {tokenizer} -t 0 -n {steps}'
                         reports "avx2 is N× faster than cmd:llama2c [95% CI]". A command
                         that no --a..--d names (as cmd:NAME) is the baseline: it comes
                         first (A) and the profiles follow (B, C, ...). NAME: lower-case
                         letters, digits, '.', '_', '-'. TEMPLATE is split into words by
                         shell quoting rules ('...', "...", backslashes) but no shell runs
                         it: nothing is expanded ($VAR, ~, globs stay as written) and a word
                         that is only an operator (| ; > 2>&1 ...) is an error; then in each word
                         {model} {tokenizer} {steps} {prompt} {seed} {threads} are filled:
                         the model file the profiles run, --tokenizer, --prompt-tokens + -n
                         (llama2.c's -n counts prompt and generated positions alike),
                         --cmd-prompt, --seed, and --threads (or the number of cores).
                         The command is started afresh for each run with no standard input;
                         its tokens/s are read from its output (stderr, else stdout; the
                         last match): llama2.c's "achieved tok/s: N" line by default. A run
                         that exits non-zero or prints no figure stops the bench with an
                         error showing its last stderr lines. llama2.c's figure covers all
                         its positions after the first, prompt included, so compare it with
                         the profiles' tg figure at --prompt-tokens 0; it is timed in whole
                         milliseconds, so make a run last well over 100 ms (-n, model size).
                         With --synthetic, the model is first written (streamed) to a
                         temporary file in llama2.c's format (NAME-q8: runq.c's), and the
                         profiles run that same file, so all run the same weights.
  --cmd-regex NAME='RE'  (repeatable) read command NAME's tokens/s with RE instead, which
                         has exactly one capture group: the number
  --tokenizer <file>     {tokenizer} (default tokenizer.bin, llama2.c's default)
  --cmd-prompt <text>    {prompt} (default empty: llama2.c then starts from BOS alone)
  --seed <int>           {seed} (default 42)

`

// applyBench fills options from a bench block, keeping flags given.
func (o *benchOptions) applyBench(b *kernelsfile.Bench) {
	for i, r := range b.Profiles {
		if i < len(o.profiles) && !o.set[string(rune('a'+i))] {
			o.profiles[i] = r.Name
		}
	}
	setInt := func(flag string, dst *int, v int) {
		if v != 0 && !o.set[flag] {
			*dst = v
		}
	}
	setInt("n", &o.gen, b.GenTokens)
	setInt("prompt-tokens", &o.prompt, b.PromptTokens)
	setInt("runs", &o.runs, b.Runs)
	setInt("warmup", &o.warmup, b.Warmup)
	setInt("threads", &o.kernels.threads, b.Threads)
	setInt("max-runs", &o.maxRuns, b.MaxRuns)
	if b.UntilCI != 0 && !o.set["until-ci"] {
		o.untilCI = strconv.FormatFloat(b.UntilCI, 'g', -1, 64)
	}
	if !o.set["model"] && !o.set["synthetic"] {
		o.modelPath, o.synthetic = b.Model, b.Synthetic
	}
	if b.Isolate && !o.set["isolate"] {
		o.isolate = true
	}
}

// runBench measures, analyses and reports.
func runBench(ctx context.Context, o *benchOptions, stdout, stderr io.Writer) error {
	f, err := o.kernels.loadFile()
	if err != nil {
		return err
	}
	if o.name != "" {
		b := f.Bench(o.name)
		if b == nil {
			return fmt.Errorf("%s has no bench %q", f.Path, o.name)
		}
		o.applyBench(b)
	}
	profiles, err := o.entries()
	if err != nil {
		return err
	}
	if !o.worker && len(profiles) < 2 {
		return errors.New("give at least --a and --b (or --name BENCH, or --a and a --cmd)")
	}
	for _, p := range profiles {
		if strings.HasPrefix(p, runner.CommandPrefix) {
			continue
		}
		name, _, err := runner.ParseProfile(p, 0)
		if err != nil {
			return err
		}
		if f.Profile(name) == nil {
			return usageErrorf("%s declares no profile %q (profiles: %s).%s", f.Path, name, strings.Join(profileNames(f), ", "), suggest.DidYouMean(name, profileNames(f)))
		}
	}
	var untilCI float64
	if o.untilCI != "" {
		if untilCI, err = runner.ParsePercent(o.untilCI); err != nil {
			return usageErrorf("--until-ci: %w", err)
		}
	}
	if !slices.Contains(report.Formats(), o.format) {
		return usageErrorf("--format %q: want text, md, json, csv or benchstat", o.format)
	}
	if err := checkOutputs(o.out, o.html); err != nil {
		return err // before anything is measured, not after
	}
	if o.synthetic == "" && o.modelPath == "" {
		o.synthetic = defaultSynthetic
	}
	if o.synthetic != "" && !o.worker {
		fmt.Fprintln(stderr, syntheticNotice("retrollama bench", o.synthetic))
	}
	synthetic := "" // the synthetic model written to a file for the commands
	if len(o.cmds) > 0 && o.modelPath == "" {
		path, cleanup, err := syntheticFile(o.synthetic, stderr)
		if err != nil {
			return err
		}
		defer cleanup()
		synthetic, o.modelPath, o.synthetic = o.synthetic, path, ""
	}
	ck, err := openShapes(o.modelPath, o.synthetic, defaultSynthetic)
	if err != nil {
		return err
	}
	defer ck.Close()
	commands, err := o.commands()
	if err != nil {
		return err
	}
	c := &runner.Config{
		Profiles: profiles, Commands: commands, Kernels: f, Checkpoint: ck, Threads: o.kernels.threads,
		GenTokens: o.gen, PromptTokens: o.prompt, Runs: o.runs, Warmup: o.warmup,
		UntilCI: untilCI, MaxRuns: o.maxRuns, HalfWidth: stats.HalfWidth, Fallback: o.kernels.fallback,
	}
	if o.worker {
		if len(profiles) != 1 {
			return errors.New("--worker measures exactly one profile (--a)")
		}
		return runner.MeasureWorker(c, profiles[0], stdout)
	}
	if o.isolate {
		c.IsolatedContext = runner.IsolatedSelf(o.workerArgs)
	}
	b := newBar(stderr, c.PlannedRuns(), "bench rounds")
	c.Progress = func(done, total int) { b.set(done) }
	graceful(ctx) // Ctrl-C now ends the measuring, not the process: the runs so far are written
	r, err := runner.Bench(ctx, c)
	b.finish()
	if err != nil {
		return err
	}
	if synthetic != "" {
		r.Env.Model = "synthetic:" + synthetic + " written to " + o.modelPath
	}
	if err := report.Write(r, o.format, o.out, o.html, stdout); err != nil {
		return err
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(stderr, "retrollama bench: warning: %s\n", w)
	}
	if r.Partial {
		fmt.Fprintf(stderr, "retrollama bench: interrupted: the report is partial (%s)\n", r.PartialReason)
		return exitCode(130)
	}
	return nil
}

// entries lists what bench measures, in order: the external commands no
// --a..--d names (cmd:NAME), as baselines, then --a..--d. A cmd:NAME must
// name a --cmd, and every --cmd-regex one too.
func (o *benchOptions) entries() ([]string, error) {
	given := map[string]bool{}
	for _, c := range o.cmds {
		given[c.name] = true
	}
	for name := range o.cmdRegex {
		if !given[name] {
			return nil, fmt.Errorf("--cmd-regex %s: no --cmd %s=TEMPLATE was given", name, name)
		}
	}
	named := map[string]bool{}
	var listed []string
	for _, p := range o.profiles {
		if p == "" {
			continue
		}
		if name, ok := strings.CutPrefix(p, runner.CommandPrefix); ok {
			if !given[name] {
				return nil, fmt.Errorf("%s: no --cmd %s=TEMPLATE was given", p, name)
			}
			named[name] = true
		}
		listed = append(listed, p)
	}
	var out []string
	for _, c := range o.cmds {
		if !named[c.name] {
			out = append(out, runner.CommandPrefix+c.name)
		}
	}
	return append(out, listed...), nil
}

// commands makes the --cmd commands, their placeholders filled from the
// bench's settings; call it once the model file is known.
func (o *benchOptions) commands() (map[string]*runner.Command, error) {
	threads := o.kernels.threads
	if threads == 0 {
		threads = runtime.NumCPU()
	}
	vars := runner.Vars{Model: o.modelPath, Tokenizer: o.tokenizer, Steps: o.prompt + o.gen,
		Prompt: o.cmdPrompt, Seed: o.seed, Threads: threads}
	out := map[string]*runner.Command{}
	for _, c := range o.cmds {
		cmd, err := runner.NewCommand(c.name, c.value, o.cmdRegex[c.name], vars)
		if err != nil {
			return nil, err
		}
		out[c.name] = cmd
	}
	return out, nil
}

// syntheticFile streams the named synthetic model to a file in a new
// temporary directory, in llama2.c's legacy format (runq.c's Q8_0 format
// for NAME-q8), so that external commands can read it; the profiles then
// run the same file. cleanup removes the directory.
func syntheticFile(name string, stderr io.Writer) (path string, cleanup func(), err error) {
	if _, _, _, err := splitSyntheticName(name); err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "retrollama-bench-")
	if err != nil {
		return "", nil, fmt.Errorf("--cmd with --synthetic: %w", err)
	}
	cleanup = func() { os.RemoveAll(dir) }
	path = filepath.Join(dir, name+".bin")
	start := time.Now()
	if err := writeSynthetic(name, path, checkpoint.FormatLegacy); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("--cmd with --synthetic: %w", err)
	}
	fmt.Fprintf(stderr, "retrollama bench: --cmd reads files: wrote synthetic %s to %s (llama2.c's format, %.1f s); the profiles run that same file (removed at the end)\n",
		name, path, time.Since(start).Seconds())
	return path, cleanup, nil
}

// checkOutputs fails at once when a file a command will write at the end
// cannot be created there (a missing directory, no permission), instead
// of after the whole measurement. It creates nothing.
func checkOutputs(paths ...string) error {
	for _, p := range paths {
		if p == "" {
			continue
		}
		dir := filepath.Dir(p)
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return fmt.Errorf("cannot write %s: directory %s does not exist", p, dir)
		}
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return fmt.Errorf("cannot write %s: it is a directory", p)
		}
		f, err := os.CreateTemp(dir, ".retrollama-check-*")
		if err != nil {
			return fmt.Errorf("cannot write %s: %w", p, err)
		}
		f.Close()
		os.Remove(f.Name())
	}
	return nil
}

// workerArgs is the command line of the --isolate worker that measures
// one run of profile with these options (see runner.IsolatedSelf).
func (o *benchOptions) workerArgs(profile string) []string {
	args := []string{"bench", "--worker", "--a", profile,
		"-n", strconv.Itoa(o.gen), "--prompt-tokens", strconv.Itoa(o.prompt),
		"--warmup", strconv.Itoa(o.warmup), "--threads", strconv.Itoa(o.kernels.threads)}
	if o.kernels.file != "" {
		args = append(args, "--kernels", o.kernels.file)
	}
	if o.modelPath != "" {
		args = append(args, "--model", o.modelPath)
	} else {
		args = append(args, "--synthetic", o.synthetic)
	}
	return args
}

// newBenchCompareCmd is "retrollama bench compare OLD.json NEW.json".
func newBenchCompareCmd(stdout, stderr io.Writer) *cobra.Command {
	var format, out, html string
	var force bool
	cmd := &cobra.Command{
		Use:   "compare OLD.json NEW.json [flags]",
		Short: "compare two saved JSON reports (bench --format json --out FILE)",
		Long: `Compares two saved bench reports: each profile of NEW against the same profile of OLD,
with the same statistics as bench, and shows both environments side by side.

Reports that measured different things are refused (exit 1, the differences on stderr):
another model (sha256), another number of generated or prompt tokens, other threads, another
baseline profile or schema. --force compares them anyway and says so in every format. Other
differences (machine, CPU, Go, kernels.hcl, provider versions, runs) are listed as warnings.`,
		Args: exactArgs(2, "two JSON reports, OLD and NEW"),
		RunE: func(c *cobra.Command, files []string) error {
			var reports [2]*bench.Report
			for i, path := range files {
				var err error
				if reports[i], err = report.ReadJSONFile(path); err != nil {
					return err
				}
			}
			r, err := analysis.BetweenWith(reports[0], reports[1], compare.Options{Force: force})
			if err != nil {
				return err
			}
			return report.Write(r, format, out, html, stdout)
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "report `format`: text, md, json, csv or benchstat")
	cmd.Flags().StringVar(&out, "out", "", "write the report to `file` instead of stdout")
	cmd.Flags().StringVar(&html, "html", "", "also write a self-contained HTML report to `file`")
	cmd.Flags().BoolVar(&force, "force", false, "compare reports that measured different things anyway (the output says so)")
	return cmd
}

// opsOptions are bench ops' flags.
type opsOptions struct {
	k         kernelFlags
	provider  string
	modelPath string
	synthetic string
	minTime   time.Duration
	sweep     bool
	models    string
	dtype     string
	json      string // --json: the sweep saved
	html      string // --html: the sweep charted
}

// newBenchOpsCmd is "retrollama bench ops": per-op microbenchmarks.
func newBenchOpsCmd(stdout, stderr io.Writer) *cobra.Command {
	var o opsOptions
	cmd := &cobra.Command{
		Use:   "ops [flags]",
		Short: "per-op microbenchmarks of providers at a model's shapes (--sweep: matmul across models)",
		Long: `bench ops times every op of every provider (or --provider's) at one model's shapes
(--time per op, default 100ms). With --sweep it times each provider's matmul at the
shapes of several models instead (default the tinyllamas: stories260K,stories15M,
stories42M,stories110M; --models can also name tinyllama-1.1B and llama2-7B, whose
matrices take seconds to set up and up to 0.5 GB each), in f32 and q8_0 (--dtype), with
GFLOP/s and GB/s, so that where a provider stops being compute-bound and becomes
bandwidth-bound is visible.`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return benchOps(&o, stdout, stderr)
		},
	}
	fs := cmd.Flags()
	o.k.register(fs, stderr)
	fs.StringVar(&o.provider, "provider", "", "time only this `provider` (kind.name)")
	fs.StringVar(&o.modelPath, "model", "", "checkpoint `file` whose shapes to use (default: --synthetic)")
	fs.StringVar(&o.synthetic, "synthetic", "", "built-in model `shape` (default "+defaultSynthetic+")")
	fs.DurationVar(&o.minTime, "time", 100*time.Millisecond, "time per op")
	fs.BoolVar(&o.sweep, "sweep", false, "each provider's matmul at the shapes of several models (--models)")
	fs.StringVar(&o.models, "models", strings.Join(ops.SweepModels(), ","), "comma-separated model `shapes` for --sweep")
	fs.StringVar(&o.dtype, "dtype", "all", "matmul `dtype` for --sweep: f32, q8_0 or all")
	fs.StringVar(&o.json, "json", "", "with --sweep: also write the results as JSON to `file`")
	fs.StringVar(&o.html, "html", "", "with --sweep: also write an HTML page with GFLOP/s and GB/s charts across the shapes to `file`")
	return cmd
}

// benchOps is "bench ops": per-op microbenchmarks, or with --sweep the
// matmul across models, of every usable provider (or --provider's).
func benchOps(o *opsOptions, stdout, stderr io.Writer) error {
	f, err := o.k.loadFile()
	if err != nil {
		return err
	}
	if !o.sweep && (o.json != "" || o.html != "") {
		return usageErrorf("--json and --html write a --sweep's results")
	}
	if err := checkOutputs(o.json, o.html); err != nil {
		return err
	}
	if o.provider != "" {
		if err := declared(f, o.provider); err != nil {
			return err
		}
	}
	ps, err := ops.Providers(f, o.provider, o.k.threads, stderr)
	if err != nil {
		return err
	}
	opt := ops.Options{MinTime: o.minTime}
	var res []ops.Result
	if o.sweep {
		if o.modelPath != "" || o.synthetic != "" {
			return usageErrorf("--sweep takes --models, not --model or --synthetic")
		}
		dtypes, err := ops.ParseDTypes(o.dtype)
		if err != nil {
			return usageErrorf("--dtype %w", err)
		}
		models := strings.Split(o.models, ",")
		steps, err := ops.SweepSteps(models, dtypes)
		if err != nil {
			return err
		}
		b := newBar(stderr, len(ps)*steps, "bench ops --sweep")
		opt.Progress = func(done, _ int, what string) { b.describe(what); b.set(done) }
		res, err = ops.SweepAll(ps, models, dtypes, opt)
		b.finish()
		if err != nil {
			return err
		}
		if err := writeSweep(f, o, models, dtypes, res); err != nil {
			return err
		}
	} else {
		ck, err := openShapes(o.modelPath, o.synthetic, defaultSynthetic)
		if err != nil {
			return err
		}
		defer ck.Close()
		b := newBar(stderr, len(ps)*ops.MeasureSteps(), "bench ops")
		opt.Progress = func(done, _ int, what string) { b.describe(what); b.set(done) }
		res, err = ops.MeasureAll(ps, ck, opt)
		b.finish()
		if err != nil {
			return err
		}
	}
	return ops.WriteWidth(stdout, res, termWidth(stdout))
}

// writeSweep saves a sweep's results as JSON (--json) and as an HTML page
// with GFLOP/s and GB/s charts across the shapes (--html).
func writeSweep(f *kernelsfile.File, o *opsOptions, models []string, dtypes []kernels.DType, res []ops.Result) error {
	if o.json == "" && o.html == "" {
		return nil
	}
	names := make([]string, len(dtypes))
	for i, d := range dtypes {
		names[i] = d.String()
	}
	r, err := ops.NewSweepReport(res, runner.HostEnvironment(f), ops.SweepSettings{
		Models: models, DTypes: names, Threads: o.k.threads, MinTimeNs: o.minTime.Nanoseconds()})
	if err != nil {
		return err
	}
	return report.WriteSweep(r, o.json, o.html)
}
