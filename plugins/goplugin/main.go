// Command goplugin is the example kernel plugin in Go: retrollama's
// unrolled kernels (8 rows per pass, rows split over threads) served out of
// process. It is the whole of what a Go plugin needs: a kernels.Provider
// and a call to kernelplugin.Serve. Build it with `make plugins`; the
// profile "plugin" of kernels.hcl routes every op to it.
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
