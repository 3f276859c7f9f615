package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/retrollama/retrollama/internal/suggest"
	"github.com/retrollama/retrollama/internal/table"
)

// exitError ends a command with a given exit code. Usage errors (a bad
// flag, a missing argument) print the command's usage on stderr after
// the message; quiet ones print nothing more (the command has already
// said what happened, e.g. kernels check's FAIL).
type exitError struct {
	code  int
	err   error
	usage bool
	quiet bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErrorf is a command-line mistake: the message, then the usage, on
// stderr, exit 1 (llama2.c's run exits 1 on its usage errors too).
func usageErrorf(format string, a ...any) error {
	return &exitError{code: 1, err: fmt.Errorf(format, a...), usage: true}
}

// exitCode ends the command with code and no further message.
func exitCode(code int) error {
	return &exitError{code: code, err: fmt.Errorf("exit %d", code), quiet: true}
}

// newRoot builds the command tree; each call makes a fresh one, so that
// nothing is shared between runs (tests call runMain many times).
func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "retrollama",
		Short: "run llama2.c checkpoints through swappable compute kernels, and measure which kernel wins",
		Long: `retrollama runs llama2.c checkpoints (stories260K, stories15M, ...) through swappable
compute kernels and measures which kernel wins. "retrollama run" is a drop-in for
llama2.c's ./run (its flags -t -p -s -n -i -z -m -y); with no checkpoint it runs a
built-in synthetic model of random weights.

Every command takes --kernels FILE --profile NAME --threads N to choose its kernels.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          subcommandArgs,
		RunE:          func(c *cobra.Command, _ []string) error { return usageErrorf("give a command") },
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetUsageFunc(usage)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &exitError{code: 1, err: err, usage: true}
	})
	root.AddCommand(
		newRunCmd(stdin, stdout, stderr),
		newKernelsCmd(stdout, stderr),
		newBenchCmd(stdout, stderr),
		newQuantizeCmd(stdout, stderr),
		newSyntheticCmd(stdout, stderr),
	)
	return root
}

// runMainContext runs the command args name under ctx and returns the
// exit code. Errors go to stderr prefixed with the command ("retrollama
// bench: ..."); a usage error is followed by the command's usage.
func runMainContext(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	code, usage := 1, false
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.quiet {
			return ee.code
		}
		code, usage = ee.code, ee.usage
	}
	if strings.HasPrefix(err.Error(), "unknown command") || strings.HasPrefix(err.Error(), "unknown flag") ||
		strings.HasPrefix(err.Error(), "unknown shorthand flag") {
		usage = true
	}
	fmt.Fprintf(stderr, "%s: %s\n", cmd.CommandPath(), strings.TrimSpace(err.Error()))
	if usage {
		fmt.Fprintf(stderr, "\n%s", cmd.UsageString())
	}
	return code
}

// subcommandArgs is the Args check of a command that only groups
// subcommands: an unknown word gets a "did you mean".
func subcommandArgs(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	var names []string
	for _, s := range c.Commands() {
		if s.IsAvailableCommand() {
			names = append(names, s.Name())
		}
	}
	return usageErrorf("unknown command %q for %q (commands: %s)%s", args[0], c.CommandPath(), strings.Join(names, ", "), suggest.DidYouMean(args[0], names))
}

// exactArgs wants n positional arguments, named in what for the message.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErrorf("want %s, got %d argument(s)", what, len(args))
		}
		return nil
	}
}

// noArgs refuses positional arguments.
func noArgs(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf("unexpected argument %q", args[0])
	}
	return nil
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *pflag.FlagSet, name string) bool {
	f := fs.Lookup(name)
	return f != nil && f.Changed
}

// termWidth is the width tables are fitted to: the terminal's when w is
// one (at least 80), else table.DefaultWidth (120).
func termWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil {
			return max(cols, 80)
		}
	}
	return table.DefaultWidth
}

// bar is a progress bar on stderr when it is a terminal; on a pipe or a
// file every method does nothing, so output stays clean for scripts.
type bar struct{ pb *progressbar.ProgressBar }

// newBar starts a bar of total steps titled desc.
func newBar(stderr io.Writer, total int, desc string) bar {
	f, ok := stderr.(*os.File)
	if !ok || !(isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())) || total <= 0 {
		return bar{}
	}
	return bar{progressbar.NewOptions(total, progressbar.OptionSetWriter(f), progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(), progressbar.OptionClearOnFinish(), progressbar.OptionSetWidth(30))}
}

func (b bar) describe(s string) {
	if b.pb != nil {
		b.pb.Describe(s)
	}
}

func (b bar) add(n int) {
	if b.pb != nil {
		_ = b.pb.Add(n)
	}
}

func (b bar) set(n int) {
	if b.pb != nil {
		_ = b.pb.Set(n)
	}
}

func (b bar) finish() {
	if b.pb != nil {
		_ = b.pb.Finish()
	}
}

// helpWidth is the width flag descriptions are wrapped to in usage.
const helpWidth = 100

// usage writes a command's usage as cobra's default template does, with
// flag descriptions wrapped to helpWidth so that help fits a terminal.
func usage(c *cobra.Command) error {
	w := c.OutOrStderr()
	var b strings.Builder
	b.WriteString("Usage:")
	if c.Runnable() {
		b.WriteString("\n  " + c.UseLine())
	}
	if c.HasAvailableSubCommands() {
		b.WriteString("\n  " + c.CommandPath() + " [command]")
	}
	if c.HasExample() {
		b.WriteString("\n\nExamples:\n" + c.Example)
	}
	if c.HasAvailableSubCommands() {
		b.WriteString("\n\nAvailable Commands:")
		for _, s := range c.Commands() {
			if s.IsAvailableCommand() || s.Name() == "help" {
				fmt.Fprintf(&b, "\n  %-*s %s", s.NamePadding(), s.Name(), s.Short)
			}
		}
	}
	if c.HasAvailableLocalFlags() {
		b.WriteString("\n\nFlags:\n" + strings.TrimRight(c.LocalFlags().FlagUsagesWrapped(helpWidth), " \n"))
	}
	if c.HasAvailableInheritedFlags() {
		b.WriteString("\n\nGlobal Flags:\n" + strings.TrimRight(c.InheritedFlags().FlagUsagesWrapped(helpWidth), " \n"))
	}
	if c.HasAvailableSubCommands() {
		fmt.Fprintf(&b, "\n\nUse \"%s [command] --help\" for more information about a command.", c.CommandPath())
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}
