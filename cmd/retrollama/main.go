// Command retrollama runs llama2.c checkpoints through swappable compute
// kernels. Its run subcommand is a drop-in for llama2.c's ./run.
package main

import (
	"fmt"
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
