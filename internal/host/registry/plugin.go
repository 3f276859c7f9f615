//go:build !retrollama_noplugins

package registry

import (
	"github.com/hashicorp/go-plugin"

	"github.com/retrollama/retrollama/internal/host/kernelsfile"
	"github.com/retrollama/retrollama/internal/host/pluginhost"
	"github.com/retrollama/retrollama/kernels"
)

// newPlugin starts a plugin provider's process.
func newPlugin(p *kernelsfile.ProviderDecl, o Options) (kernels.Provider, error) {
	g := p.Plugin
	return pluginhost.New(pluginhost.Options{
		Name: p.Ref(), Path: g.Binary, Args: g.Args, SHA256: g.SHA256, ProtocolVersion: g.ProtocolVersion,
		StartTimeout: g.StartTimeout, CallTimeout: g.CallTimeout, Transport: g.Transport,
		Threads: threads(p, o), Logger: log(o).Named(p.Ref()),
	})
}

// pluginsBuilt reports nil: this build runs kernel plugins.
func pluginsBuilt() error { return nil }

// KillPlugins ends every plugin process still running (go-plugin keeps
// the list); the CLI calls it at exit and on Ctrl-C or SIGTERM.
func KillPlugins() { plugin.CleanupClients() }
