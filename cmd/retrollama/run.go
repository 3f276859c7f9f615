package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/internal/host/dispatch"
	"github.com/retrollama/retrollama/internal/host/generate"
	"github.com/retrollama/retrollama/internal/host/model"
	"github.com/retrollama/retrollama/internal/host/sampler"
	"github.com/retrollama/retrollama/internal/host/tokenizer"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// defaultSynthetic is the model used when no checkpoint is named.
const defaultSynthetic = "stories15M"

// runOptions are run.c's settings after its clamping rules.
type runOptions struct {
	checkpoint  string // empty: synthetic
	synthetic   string
	tokenizer   string // empty: default for the model
	temperature float32
	topp        float32
	seed        uint64
	steps       int
	prompt      *string
	mode        string
	system      *string
	kernels     kernelFlags
}

// runFlags are run's flags as given, before run.c's parsing and clamping.
type runFlags struct {
	temperature, topp, seed, steps, prompt, tokenizer, system string
}

// newRunCmd is "retrollama run": llama2.c's main. Its one-letter flags
// are run.c's (-t 0.8, -n 256, ...), each also with a long name.
func newRunCmd(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var o runOptions
	var raw runFlags
	cmd := &cobra.Command{
		Use:   "run [checkpoint] [flags]",
		Short: "generate text from a checkpoint (a drop-in for llama2.c's ./run)",
		Long: `Generates text as llama2.c's ./run does, with its flags (-t -p -s -n -i -z -m -y) and
its output, byte for byte, on every kernel profile. Without a checkpoint it runs the
built-in synthetic model --synthetic (default ` + defaultSynthetic + `): random weights, so the
text is noise. For stories, a real llama2.c checkpoint and its tokenizer:

  curl -LO ` + realModelURL + `
  curl -LO ` + tokenizerURL + `
  retrollama run stories15M.bin -z tokenizer.bin`,
		Example: `  retrollama run model.bin -n 256 -i "Once upon a time"
  retrollama run stories15M.bin -z tokenizer.bin -t 0 --profile reference
  retrollama run --synthetic stories15M-q8 -n 64`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.checkpoint = args[0]
			}
			if err := o.parse(c.Flags(), raw); err != nil {
				return err
			}
			return generateOrChat(o, stdin, stdout, stderr)
		},
	}
	fs := cmd.Flags()
	fs.SortFlags = false
	fs.StringVarP(&raw.temperature, "temperature", "t", "1.0", "sampling temperature, a `float` in [0,inf]")
	fs.StringVarP(&raw.topp, "topp", "p", "0.9", "p value in top-p (nucleus) sampling, a `float` in [0,1]")
	fs.StringVarP(&raw.seed, "seed", "s", "0", "random seed, an `int` (0: time(NULL))")
	fs.StringVarP(&raw.steps, "steps", "n", "256", "number of steps to run for, an `int` (0 = max_seq_len)")
	fs.StringVarP(&raw.prompt, "prompt", "i", "", "input `prompt`")
	fs.StringVarP(&raw.tokenizer, "tokenizer", "z", "", "custom tokenizer `file` (default tokenizer.bin; a byte-level one for --synthetic)")
	fs.StringVarP(&o.mode, "mode", "m", "generate", "`mode`: generate or chat")
	fs.StringVarP(&raw.system, "system", "y", "", "system `prompt` in chat mode")
	fs.StringVar(&o.synthetic, "synthetic", "", "built-in random-weight `model` instead of a checkpoint: "+shapeList()+
		", -q8 appended for Q8_0 (stories15M-q8); one that does not fit in 80% of the available memory is refused "+
		"(write it with \"retrollama synthetic NAME FILE\" and run FILE)")
	o.kernels.register(fs, stderr)
	fs.BoolVar(&o.kernels.fallback, "fallback", false, "run an op whose provider cannot run here on the profile's next provider (stderr names it) instead of stopping")
	return cmd
}

// parse applies run.c's parsing and clamping to the flags as given.
func (o *runOptions) parse(fs *pflag.FlagSet, raw runFlags) error {
	t, err := parseFloat("t", raw.temperature)
	if err != nil {
		return err
	}
	p, err := parseFloat("p", raw.topp)
	if err != nil {
		return err
	}
	s, err := parseInt("s", raw.seed)
	if err != nil {
		return err
	}
	n, err := parseInt("n", raw.steps)
	if err != nil {
		return err
	}
	o.temperature, o.topp, o.steps = t, p, int(n)
	o.seed = uint64(s) // run.c: an int stored in an unsigned long long
	if flagSet(fs, "prompt") {
		o.prompt = &raw.prompt
	}
	if flagSet(fs, "system") {
		o.system = &raw.system
	}
	o.tokenizer = raw.tokenizer
	if o.mode != "generate" && o.mode != "chat" {
		return usageErrorf("unknown mode: %s", o.mode)
	}
	if o.checkpoint != "" && o.synthetic != "" {
		return usageErrorf("give a checkpoint or --synthetic, not both")
	}
	if o.checkpoint == "" && o.synthetic == "" {
		o.synthetic = defaultSynthetic
	}

	// run.c's clamping, in its order.
	if o.seed == 0 {
		o.seed = uint64(uint32(time.Now().Unix()))
	}
	if o.temperature < 0 {
		o.temperature = 0
	}
	if o.topp < 0 || o.topp > 1 {
		o.topp = 0.9
	}
	if o.steps < 0 {
		o.steps = 0
	}
	return nil
}

// parseFloat reads a float flag value as run.c's atof then stores it in a
// float; unlike atof, text that is not a number is an error.
func parseFloat(name, v string) (float32, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(f) {
		return 0, usageErrorf("-%s wants a number, got %q", name, v)
	}
	return float32(f), nil
}

// parseInt reads an int flag value as run.c's atoi (a C int); text that is
// not an integer in range is an error.
func parseInt(name, v string) (int32, error) {
	i, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
	if err != nil {
		return 0, usageErrorf("-%s wants an integer, got %q", name, v)
	}
	return int32(i), nil
}

// generateOrChat loads the model, tokenizer and sampler and runs the
// chosen mode: generate (llama2.c's default) or chat.
func generateOrChat(o runOptions, stdin io.Reader, stdout, stderr io.Writer) error {
	ck, tok, err := loadModel(o)
	if err != nil {
		return err
	}
	defer ck.Close()
	if o.synthetic != "" {
		fmt.Fprintln(stderr, syntheticNotice("retrollama run", o.synthetic))
	}

	cfg := ck.Config
	if o.steps == 0 || o.steps > cfg.SeqLen {
		o.steps = cfg.SeqLen
	}
	ops, profile, err := o.kernels.table(cfg, newLogger(stderr))
	if err != nil {
		return err
	}
	defer ops.Close()
	m, err := model.New(ck, ops)
	if err != nil {
		return err
	}
	sayFallbacks(stderr, profile, ops, false)
	defer sayFallbacks(stderr, profile, ops, true) // calls that failed on the way
	smp, err := sampler.New(cfg.VocabSize, o.temperature, o.topp, o.seed, ops.Softmax)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(stdout)
	g := &generate.Session{Model: m, Tokenizer: tok, Sampler: smp, Out: out}
	if o.mode == "chat" {
		return g.Chat(bufio.NewReader(stdin), o.prompt, o.system, o.steps)
	}
	prompt := ""
	if o.prompt != nil {
		prompt = *o.prompt
	}
	stats, err := g.Generate(prompt, o.steps)
	if err != nil {
		return err
	}
	if stats.Positions > 1 {
		fmt.Fprintf(stderr, "achieved tok/s: %f\n", stats.TokensPerSecond())
	}
	return nil
}

// sayFallbacks prints on stderr one line per op that runs on another
// provider than the profile names (--fallback, on_error = "fallback"):
// those settled when the weights were prepared, or (runtime) the calls
// that failed and were redone on the reference.
func sayFallbacks(stderr io.Writer, profile string, t *dispatch.Table, runtime bool) {
	for _, line := range dispatch.Summarize(t.Substitutions(), runtime) {
		fmt.Fprintf(stderr, "retrollama run: profile %s did not run as named: %s\n", profile, line)
	}
}

// loadModel opens the checkpoint (or builds the synthetic one) and the
// tokenizer that goes with it.
func loadModel(o runOptions) (*checkpoint.Checkpoint, *tokenizer.Tokenizer, error) {
	var ck *checkpoint.Checkpoint
	var err error
	if o.synthetic != "" {
		ck, err = syntheticModel(o.synthetic)
	} else {
		ck, err = checkpoint.Open(o.checkpoint)
	}
	if err != nil {
		return nil, nil, err
	}
	var tok *tokenizer.Tokenizer
	switch {
	case o.tokenizer != "":
		tok, err = tokenizer.Load(o.tokenizer, ck.Config.VocabSize)
	case o.synthetic != "":
		tok, err = tokenizer.ByteLevel(ck.Config.VocabSize)
	default:
		tok, err = tokenizer.Load("tokenizer.bin", ck.Config.VocabSize)
	}
	if err != nil {
		ck.Close()
		return nil, nil, err
	}
	return ck, tok, nil
}
