// Command goplugin is the kernel plugin that serves retrollama's unrolled
// kernels (8 rows per pass, rows split over threads) out of process: the
// provider of kernels.hcl's profile "plugin", there to measure what the
// plugin boundary costs against the same kernels in process. Build it
// with `make plugins`.
//
// It is not a template to copy: the unrolled kernels live under
// internal/, so this directory does not compile outside the retrollama
// module. A plugin of your own is the same dozen lines around your
// provider: copy kernels/scalar (the template for a new provider, which
// imports only public packages) and serve it as the kernelplugin package
// documentation shows.
package main

import (
	"github.com/retrollama/retrollama/internal/kernels/unrolled"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/plugins/kernelplugin"
)

func main() {
	kernelplugin.Serve(func(o kernelplugin.Options) (kernels.Provider, error) {
		o.Logger.Debug("serving the unrolled kernels", "rows_per_pass", 8, "threads", o.Threads)
		return unrolled.New(8, o.Threads), nil
	})
}
