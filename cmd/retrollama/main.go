// Command retrollama runs llama2.c checkpoints through swappable compute
// kernels. Its run subcommand is a drop-in for llama2.c's ./run.
package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/retrollama/retrollama/host/registry"
)

func main() {
	os.Exit(runTopLevel(os.Args[1:]))
}

// runTopLevel is main without the exit: it runs the command with the
// process's standard streams and makes sure no kernel plugin process
// outlives it, also on Ctrl-C or SIGTERM (a plugin ignores SIGINT, as
// go-plugin's do, so that the host decides when it ends).
func runTopLevel(args []string) int {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-signals
		registry.KillPlugins()
		fmt.Fprintf(os.Stderr, "retrollama: %v\n", sig)
		os.Exit(130)
	}()
	defer registry.KillPlugins()
	return runMain(args, os.Stdin, os.Stdout, os.Stderr)
}

const topUsage = `Usage: retrollama <command> [arguments]

Commands:
  run <checkpoint> [options]   generate text; llama2.c's run flags (-t -p -s -n -i -z -m -y)
  run --synthetic NAME [...]   the same on a built-in random-weight model
                               (stories260K, stories15M, stories42M, stories110M,
                               tinyllama-1.1B, llama2-7B; append -q8 for Q8_0,
                               e.g. stories15M-q8)
  kernels list|explain|check   kernel providers, profile resolution, conformance suite
  bench --a P --b Q [...]      A/B benchmark of kernel profiles ("retrollama bench -h")
  bench compare OLD NEW        compare two saved JSON reports
  bench ops                    per-op microbenchmarks at the model's shapes
  quantize IN OUT [--group-size N]  fp32 checkpoint → llama2.c Q8_0 (runq.c's format)
  synthetic NAME OUT           write a built-in synthetic model to a checkpoint file

Every command takes --kernels FILE --profile NAME --threads N to choose its kernels.

"retrollama run -h" lists the options.
`

// runMain runs the subcommand named by args[0] and returns the exit code.
func runMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, topUsage)
		return 1
	}
	switch args[0] {
	case "run":
		return runCommand(args[1:], stdin, stdout, stderr)
	case "kernels":
		return kernelsCommand(args[1:], stdout, stderr)
	case "bench":
		return benchCommand(args[1:], stdout, stderr)
	case "quantize":
		return quantizeCommand(args[1:], stdout, stderr)
	case "synthetic":
		return syntheticCommand(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, topUsage)
		return 0
	}
	fmt.Fprintf(stderr, "retrollama: unknown command %q\n\n%s", args[0], topUsage)
	return 1
}
