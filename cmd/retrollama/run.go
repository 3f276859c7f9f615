package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/retrollama/retrollama/host/checkpoint"
	"github.com/retrollama/retrollama/host/generate"
	"github.com/retrollama/retrollama/host/model"
	"github.com/retrollama/retrollama/host/sampler"
	"github.com/retrollama/retrollama/host/tokenizer"
)

// runUsage is llama2.c's error_usage text with our additions at the end.
const runUsage = `Usage:   run <checkpoint> [options]
Example: run model.bin -n 256 -i "Once upon a time"
Options:
  -t <float>  temperature in [0,inf], default 1.0
  -p <float>  p value in top-p (nucleus) sampling in [0,1] default 0.9
  -s <int>    random seed, default time(NULL)
  -n <int>    number of steps to run for, default 256. 0 = max_seq_len
  -i <string> input prompt
  -z <string> optional path to custom tokenizer
  -m <string> mode: generate|chat, default: generate
  -y <string> system prompt in chat mode, optional
retrollama additions:
  --synthetic <name>  built-in random-weight model instead of a checkpoint:
                      stories260K, stories15M, stories42M, stories110M,
                      tinyllama-1.1B, llama2-7B, with -q8 appended for its
                      Q8_0 quantization (stories15M-q8); one that does not
                      fit in 80% of the available memory is refused (write
                      it with "retrollama synthetic NAME FILE" and run FILE)
                      (default stories15M when no checkpoint is given)
  --kernels <file>    kernels.hcl to read (default: the built-in copy)
  --profile <name>    kernel profile (default: the best one for this CPU)
  --threads <int>     threads per op for providers that use them (0 = all cores)
`

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

// errUsage marks a command-line error: print the usage and exit 1.
var errUsage = errors.New("usage")

// parseRunArgs reads run.c's flags (each "-x value") plus ours. The
// checkpoint, when given, comes first, as in run.c.
func parseRunArgs(args []string) (runOptions, error) {
	o := runOptions{mode: "generate"}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		o.checkpoint, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	temperature := fs.String("t", "1.0", "")
	topp := fs.String("p", "0.9", "")
	seed := fs.String("s", "0", "")
	steps := fs.String("n", "256", "")
	prompt := fs.String("i", "", "")
	tok := fs.String("z", "", "")
	fs.StringVar(&o.mode, "m", "generate", "")
	system := fs.String("y", "", "")
	fs.StringVar(&o.synthetic, "synthetic", "", "")
	o.kernels.register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	t, err := parseFloat("t", *temperature)
	if err != nil {
		return o, err
	}
	p, err := parseFloat("p", *topp)
	if err != nil {
		return o, err
	}
	s, err := parseInt("s", *seed)
	if err != nil {
		return o, err
	}
	n, err := parseInt("n", *steps)
	if err != nil {
		return o, err
	}
	o.temperature, o.topp, o.steps = t, p, int(n)
	o.seed = uint64(s) // run.c: an int stored in an unsigned long long
	if set["i"] {
		o.prompt = prompt
	}
	if set["y"] {
		o.system = system
	}
	o.tokenizer = *tok
	if o.mode != "generate" && o.mode != "chat" {
		return o, fmt.Errorf("%w: unknown mode: %s", errUsage, o.mode)
	}
	if o.checkpoint != "" && o.synthetic != "" {
		return o, fmt.Errorf("%w: give a checkpoint or --synthetic, not both", errUsage)
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
	return o, nil
}

// parseFloat reads a float flag value as run.c's atof then stores it in a
// float; unlike atof, text that is not a number is an error.
func parseFloat(name, v string) (float32, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(f) {
		return 0, fmt.Errorf("%w: -%s wants a number, got %q", errUsage, name, v)
	}
	return float32(f), nil
}

// parseInt reads an int flag value as run.c's atoi (a C int); text that is
// not an integer in range is an error.
func parseInt(name, v string) (int32, error) {
	i, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%w: -%s wants an integer, got %q", errUsage, name, v)
	}
	return int32(i), nil
}

// runCommand is "retrollama run": llama2.c's main.
func runCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, err := parseRunArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, runUsage)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s\n%s", strings.TrimPrefix(err.Error(), "usage: "), runUsage)
		return 1
	}
	if err := run(o, stdin, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "retrollama run: %v\n", err)
		return 1
	}
	return 0
}

// run loads the model, tokenizer and sampler and runs the chosen mode.
func run(o runOptions, stdin io.Reader, stdout, stderr io.Writer) error {
	ck, tok, err := loadModel(o)
	if err != nil {
		return err
	}
	defer ck.Close()

	cfg := ck.Config
	if o.steps == 0 || o.steps > cfg.SeqLen {
		o.steps = cfg.SeqLen
	}
	ops, _, err := o.kernels.table(cfg, newLogger(stderr))
	if err != nil {
		return err
	}
	defer ops.Close()
	m, err := model.New(ck, ops)
	if err != nil {
		return err
	}
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
