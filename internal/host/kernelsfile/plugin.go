package kernelsfile

import (
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"

	pluginspec "github.com/retrollama/retrollama/plugins/kernelplugin/spec"
)

// Plugin is the configuration of a provider of kind plugin: a kernel
// provider in its own process (see internal/host/pluginhost and
// plugins/kernelplugin).
type Plugin struct {
	// Path is the binary as written; Binary is Path made relative to the
	// directory of the kernels file when it is relative.
	Path, Binary string
	Args         []string
	// SHA256, when set, pins the binary (hex): it is not started when its
	// hash differs.
	SHA256 string
	// ProtocolVersion the plugin must speak (0: this build's).
	ProtocolVersion int
	// StartTimeout bounds the start and each control call; CallTimeout
	// each op (0: the host's defaults; CallTimeout < 0: "off").
	StartTimeout, CallTimeout time.Duration
	// Transport is auto, shm or grpc.
	Transport string
}

type pluginSchema struct {
	Path            string    `hcl:"path"`
	Args            *[]string `hcl:"args,optional"`
	SHA256          *string   `hcl:"sha256,optional"`
	ProtocolVersion *int      `hcl:"protocol_version,optional"`
	StartTimeout    *string   `hcl:"start_timeout,optional"`
	CallTimeout     *string   `hcl:"call_timeout,optional"`
	Transport       *string   `hcl:"transport,optional"`
	Threads         *int      `hcl:"threads,optional"`
}

// pluginTransports are the valid transports of a plugin provider.
var pluginTransports = pluginspec.Transports()

// decodePlugin reads the body of a provider "plugin" block.
func decodePlugin(p *ProviderDecl, pb providerBlock) (*ProviderDecl, hcl.Diagnostics) {
	b, c, d := decodeChecked[pluginSchema](pb)
	if d.HasErrors() {
		return nil, d
	}
	g := &Plugin{Path: b.Path}
	c.path(p, b.Path, "path names the plugin binary, relative to this file's directory or absolute.")
	if b.Args != nil {
		g.Args = *b.Args
	}
	g.SHA256 = c.sha256(b.SHA256)
	if b.ProtocolVersion != nil {
		g.ProtocolVersion = *b.ProtocolVersion
		if g.ProtocolVersion != pluginspec.Version {
			c.diags = append(c.diags, errorAt(c.at("protocol_version"), "Unsupported protocol_version",
				fmt.Sprintf("This build speaks kernel plugin protocol %d, not %d.", pluginspec.Version, g.ProtocolVersion)))
		}
	}
	g.StartTimeout = c.duration("start_timeout", b.StartTimeout, false)
	g.CallTimeout = c.duration("call_timeout", b.CallTimeout, true)
	g.Transport = c.oneOf("transport", b.Transport, pluginTransports, pluginspec.TransportAuto)
	if b.Threads != nil {
		if *b.Threads < 0 {
			c.diags = append(c.diags, errorAt(c.at("threads"), "Invalid threads", "threads must be 0 (all cores) or more."))
		}
		p.Threads = *b.Threads
	}
	g.Binary = c.relative(g.Path)
	p.Plugin = g
	return c.result(p)
}
