// Command retrollama runs llama2.c checkpoints through swappable compute
// kernels. Its run subcommand is a drop-in for llama2.c's ./run.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/retrollama/retrollama/internal/host/registry"
)

func main() {
	os.Exit(runTopLevel(os.Args[1:]))
}

// runTopLevel is main without the exit: it runs the command with the
// process's standard streams and makes sure no kernel plugin process
// outlives it, also on Ctrl-C or SIGTERM (a plugin ignores SIGINT, as
// go-plugin's do, so that the host decides when it ends).
//
// Ctrl-C ends the process at once (exit 130), unless the command asked
// to stop gracefully (graceful: bench, which then writes the runs it has
// finished); a second Ctrl-C always ends it.
func runTopLevel(args []string) int {
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := &atomic.Bool{}
	ctx = context.WithValue(ctx, gracefulKey{}, stop)
	go func() {
		sig := <-signals
		if stop.Load() {
			fmt.Fprintf(os.Stderr, "retrollama: %v: finishing the run under way and writing what was measured (again to quit now)\n", sig)
			cancel()
			sig = <-signals
		}
		registry.KillPlugins()
		fmt.Fprintf(os.Stderr, "retrollama: %v\n", sig)
		os.Exit(130)
	}()
	defer registry.KillPlugins()
	return runMainContext(ctx, args, os.Stdin, os.Stdout, os.Stderr)
}

// gracefulKey is the context key of the flag a command sets to handle
// Ctrl-C itself (see graceful).
type gracefulKey struct{}

// graceful tells runTopLevel that the command stops by itself when ctx is
// cancelled, so the first Ctrl-C cancels ctx instead of ending the
// process. Outside runTopLevel (tests) it does nothing.
func graceful(ctx context.Context) {
	if stop, ok := ctx.Value(gracefulKey{}).(*atomic.Bool); ok {
		stop.Store(true)
	}
}

// runMain runs the command args name, with no cancellation.
func runMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runMainContext(context.Background(), args, stdin, stdout, stderr)
}
