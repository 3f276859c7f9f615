package runner

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/shlex"

	"github.com/retrollama/retrollama/internal/bench"
)

// CommandPrefix marks an external command among the names bench measures:
// "cmd:llama2c" is the command given as --cmd llama2c=TEMPLATE.
const CommandPrefix = "cmd:"

// DefaultTokPerSec matches llama2.c's closing line, "achieved tok/s:
// 123.456789" (run.c and runq.c print it on stderr), capturing the figure.
const DefaultTokPerSec = `achieved tok/s: ([0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?)`

// Placeholders are the words a command template may contain, each filled
// from the bench's own settings (see Vars).
var placeholders = []string{"{model}", "{tokenizer}", "{steps}", "{prompt}", "{seed}", "{threads}"}

// Vars are the values of a template's placeholders.
type Vars struct {
	Model     string // {model}: the checkpoint file the profiles run
	Tokenizer string // {tokenizer}
	Steps     int    // {steps}: positions per run, prompt tokens + generated tokens (llama2.c's -n)
	Prompt    string // {prompt}
	Seed      uint64 // {seed}
	Threads   int    // {threads}
}

// Command is an external program that bench times beside the profiles,
// such as llama2.c's run: it is started afresh for every run (no shell
// involved) and its tokens per second are read from its output.
type Command struct {
	Name  string         // as given to --cmd; bench calls it CommandPrefix+Name
	Argv  []string       // the program and its arguments, placeholders filled
	Regex *regexp.Regexp // one capture group: tokens per second
}

// validCommandName is what a command's name may be: it becomes part of a
// profile name and a benchstat configuration key, which must be lower case.
var validCommandName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// shellOperators are the words a template may not hold alone: a shell
// would read them as pipes, lists or redirections.
var shellOperators = []string{"|", "||", "&", "&&", ";", ";;", "<", ">", ">>", "2>", "2>&1", ">&2", "&>", "|&", "<<"}

// unknownPlaceholder finds a "{word}" that is not one of placeholders.
var unknownPlaceholder = regexp.MustCompile(`\{[a-z_]+\}`)

// NewCommand makes the command called name from a template such as
//
//	/tmp/l2c/run {model} -z {tokenizer} -t 0 -n {steps}
//
// The template is split into words by shell quoting rules (single and
// double quotes, backslashes, # comments; github.com/google/shlex), but no
// shell ever runs it and nothing is expanded: $HOME stays "$HOME", ~ and
// globs stay as written. A word that is only a shell operator (|, ;, >,
// 2>&1, ...) is an error, since it would reach the program as an
// argument. Placeholders are then replaced inside each word, so
// "-i {prompt}" stays one argument whatever the prompt holds; an unknown
// "{word}" is an error.
//
// (mvdan.cc/sh/v3/shell, a fuller shell-words parser, was tried first: it
// adds 0.4 MB to the 386 binary, which then no longer starts with a
// 17 MB checkpoint file in the 128 MB Pentium II guest of
// TestPentium2Stories15M.) regex, with exactly one capture group,
// finds the tokens per second in the command's output; "" means
// DefaultTokPerSec.
func NewCommand(name, template, regex string, v Vars) (*Command, error) {
	if !validCommandName.MatchString(name) {
		return nil, fmt.Errorf("--cmd %q: the name must be lower-case letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	words, err := shlex.Split(template)
	if err != nil {
		return nil, fmt.Errorf("--cmd %s: splitting %q into arguments: %w", name, template, err)
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("--cmd %s: empty command", name)
	}
	for _, w := range words {
		if slices.Contains(shellOperators, w) {
			return nil, fmt.Errorf("--cmd %s: %q in %q: no shell runs the command, so it would be passed as an argument", name, w, template)
		}
	}
	fill := strings.NewReplacer(
		"{model}", v.Model, "{tokenizer}", v.Tokenizer, "{steps}", strconv.Itoa(v.Steps),
		"{prompt}", v.Prompt, "{seed}", strconv.FormatUint(v.Seed, 10), "{threads}", strconv.Itoa(v.Threads))
	for i, w := range words {
		if bad := unknownPlaceholder.FindAllString(w, -1); slices.ContainsFunc(bad, func(p string) bool { return !slices.Contains(placeholders, p) }) {
			return nil, fmt.Errorf("--cmd %s: unknown placeholder in %q (known: %s)", name, w, strings.Join(placeholders, " "))
		}
		words[i] = fill.Replace(w)
	}
	if regex == "" {
		regex = DefaultTokPerSec
	}
	re, err := regexp.Compile(regex)
	if err != nil {
		return nil, fmt.Errorf("--cmd-regex %s: %w", name, err)
	}
	if re.NumSubexp() != 1 {
		return nil, fmt.Errorf("--cmd-regex %s=%q: want exactly one capture group (the tokens per second), it has %d", name, regex, re.NumSubexp())
	}
	return &Command{Name: name, Argv: words, Regex: re}, nil
}

// Label is the name bench reports the command under: "cmd:llama2c".
func (c *Command) Label() string { return CommandPrefix + c.Name }

// outputCap bounds what is kept of each of a run's output streams (the
// end is kept: llama2.c prints its figure last).
const outputCap = 1 << 20

// tail keeps the last outputCap bytes written to it.
type tail struct{ b []byte }

// Write implements io.Writer.
func (t *tail) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 2*outputCap {
		t.b = append(t.b[:0], t.b[len(t.b)-outputCap:]...)
	}
	return len(p), nil
}

// lastLines is the last n non-blank lines of b, indented, for errors.
func lastLines(b []byte, n int) string {
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimRight(l, "\r "); strings.TrimSpace(l) != "" {
			lines = append(lines, "  "+l)
		}
	}
	if len(lines) == 0 {
		return "  (nothing)"
	}
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// errNoFigure is wrapped by the error of a run whose output lacks the
// tokens per second.
var errNoFigure = errors.New("no tokens per second in its output")

// Run runs the command once, with no standard input, and returns its
// tokens per second (as GenTokPerSec; the command reports no prompt
// figure or time to first token). Its peak RSS is not taken: on Linux a
// child's ru_maxrss starts from its parent's resident set at exec (a
// /bin/true started by a 300 MB Go process reports 310 MB), so it would
// show bench's own memory, not the command's. The figure is the regex's capture in the last
// match on standard error, or else on standard output; it must be a
// positive finite number. A start failure, a non-zero exit and a missing
// or unusable figure are errors naming the command and showing the last
// lines it wrote on standard error.
func (c *Command) Run() (Sample, error) { return c.RunContext(context.Background()) }

// killWait is how long RunContext waits, after killing a cancelled
// command, for its output pipes to close before giving up on them: a
// process it started may hold them where OwnProcessGroup cannot kill it.
const killWait = 5 * time.Second

// RunContext is Run that kills the command, and on Unix its whole process
// group (see OwnProcessGroup), when ctx is cancelled; the run then fails
// with an error wrapping ctx's cause, and no figure.
func (c *Command) RunContext(ctx context.Context) (Sample, error) {
	cmd := exec.CommandContext(ctx, c.Argv[0], c.Argv[1:]...)
	OwnProcessGroup(cmd)
	cmd.WaitDelay = killWait
	var stdout, stderr tail
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	fail := func(what string) (Sample, error) {
		return Sample{}, fmt.Errorf("%s (%s) %s; its last stderr lines:\n%s", c.Label(), bench.QuoteArgs(c.Argv), what, lastLines(stderr.b, 5))
	}
	var exit *exec.ExitError
	switch {
	case err != nil && ctx.Err() != nil:
		return Sample{}, fmt.Errorf("%s: stopped: %w", c.Label(), context.Cause(ctx))
	case errors.As(err, &exit):
		return fail(exit.ProcessState.String())
	case err != nil:
		return Sample{}, fmt.Errorf("%s: %w", c.Label(), err)
	}
	m := c.Regex.FindAllSubmatch(stderr.b, -1)
	if len(m) == 0 {
		m = c.Regex.FindAllSubmatch(stdout.b, -1)
	}
	if len(m) == 0 {
		return fail(fmt.Sprintf("printed no line matching %q (%v)", c.Regex, errNoFigure))
	}
	figure := string(m[len(m)-1][1])
	v, perr := strconv.ParseFloat(strings.TrimSpace(figure), 64)
	if perr != nil || !(v > 0) || math.IsInf(v, 0) {
		return fail(fmt.Sprintf("printed %q where %q wants a positive number of tokens per second", figure, c.Regex))
	}
	return Sample{GenTokPerSec: v}, nil
}
