//go:build retrollama_noplugins

package registry

import (
	"errors"

	"github.com/retrollama/retrollama/internal/host/kernelsfile"
	"github.com/retrollama/retrollama/kernels"
)

// errNoPlugins: the Pentium II build leaves go-plugin and gRPC out (6 MB
// of a binary that must fit, with a model, in the emulated machine's
// 128 MB).
var errNoPlugins = errors.New("kernel plugins are not in this build (built with -tags retrollama_noplugins, as make p2 does)")

func newPlugin(*kernelsfile.ProviderDecl, Options) (kernels.Provider, error) {
	return nil, errNoPlugins
}

// pluginsBuilt reports why this build cannot run plugins.
func pluginsBuilt() error { return errNoPlugins }

// KillPlugins has nothing to do in a build without plugins.
func KillPlugins() {}
