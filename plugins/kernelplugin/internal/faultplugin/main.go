// Command faultplugin is a kernel plugin that misbehaves on request, for
// the fault-injection tests of internal/host/pluginhost and cmd/retrollama. It
// serves the scalar reference and, by its flags, crashes, hangs, lies
// about lengths, exits before the handshake or speaks another protocol
// version.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
	"github.com/retrollama/retrollama/plugins/kernelplugin/internal/server"
)

func main() {
	crashAfter := flag.Int("crash-after", 0, "exit with status 2 at the n-th op call")
	panicAfter := flag.Int("panic-after", 0, "crash with an unrecovered panic at the n-th op call")
	hangAfter := flag.Int("hang-after", 0, "never answer the n-th op call")
	wrongLen := flag.Bool("wrong-length", false, "report one value more than each op produced")
	exitAtStart := flag.Bool("exit-at-start", false, "exit with status 3 before the handshake")
	protocol := flag.Int("protocol", 0, "serve this protocol version instead of the real one")
	pidFile := flag.String("pidfile", "", "write the process ID here first")
	flag.Parse()
	// go-plugin's Serve points os.Stderr at a pipe it forwards over gRPC;
	// the messages below go to the real stderr, as hclog's do, so the
	// host has them before it sees the process die.
	stderr := os.Stderr
	if *pidFile != "" {
		if err := os.WriteFile(*pidFile, []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "faultplugin:", err)
			os.Exit(1)
		}
	}
	if *exitAtStart {
		fmt.Fprintln(os.Stderr, "faultplugin: exiting at start as asked")
		os.Exit(3)
	}
	fault := server.Fault{BeforeOp: func(n int) {
		switch n {
		case *crashAfter:
			fmt.Fprintf(stderr, "faultplugin: crashing at op call %d as asked\n", n)
			os.Exit(2)
		case *panicAfter:
			done := make(chan struct{})
			go func() { panic(fmt.Sprintf("faultplugin: panicking at op call %d as asked", n)) }()
			<-done
		case *hangAfter:
			fmt.Fprintf(stderr, "faultplugin: hanging at op call %d as asked\n", n)
			select {}
		}
	}}
	if *wrongLen {
		fault.OutLenDelta = 1
	}
	server.Serve(server.Config{
		New:             func(server.Options) (kernels.Provider, error) { return scalar.New(), nil },
		ProtocolVersion: *protocol,
		Fault:           fault,
	})
}
