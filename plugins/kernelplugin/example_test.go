package kernelplugin_test

import (
	"fmt"

	"github.com/hashicorp/go-hclog"

	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
	"github.com/retrollama/retrollama/plugins/kernelplugin"
)

// newProvider is what a plugin hands to Serve: it makes the provider when
// the host opens the plugin, with the threads and logger the host asks
// for. (A copy of kernels/scalar stands in for your provider.)
func newProvider(o kernelplugin.Options) (kernels.Provider, error) {
	o.Logger.Debug("opening", "threads", o.Threads)
	return scalar.New(), nil
}

// A plugin's main is one call; Serve speaks the protocol with the host
// that started the process and never returns. (Run by hand, the binary
// only says that it is a plugin.)
func ExampleServe() {
	kernelplugin.Serve(newProvider)
}

// What Serve does with the function it is given when the host opens the
// plugin: it calls it with the host's options, then answers the host's
// questions with the provider's.
func ExampleOptions() {
	p, err := newProvider(kernelplugin.Options{Threads: 4, Logger: hclog.NewNullLogger()})
	if err != nil {
		fmt.Println(err)
		return
	}
	s := p.Supports(kernels.Query{Op: kernels.MatMul, DType: kernels.Q8_0})
	fmt.Println(p.Name(), "runs a Q8_0 matmul:", s.OK)
	// Output: scalar runs a Q8_0 matmul: true
}
