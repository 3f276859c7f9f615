// Package pluginhost runs a kernel provider in another process: it starts
// a plugin binary through hashicorp/go-plugin (gRPC protocol), checks its
// checksum and protocol version, and makes it a kernels.Provider. Control
// (open, init, prepare, close) goes over gRPC. Per-token calls go through
// a ring in shared memory (internal/shmring) with a futex doorbell, or, on
// the grpc transport, as gRPC calls. Weights are written once into a
// shared weight arena the plugin maps read-only; with the Attention op on
// the plugin, the KV caches live in the shared region too
// (kernels.CacheAllocator), so a call copies only the small activations.
//
// A plugin that dies, hangs past the call timeout, or answers with the
// wrong length is killed, and every later call fails at once with the
// error, which quotes the plugin's last stderr lines; the dispatch table
// then falls back if the profile says so.
package pluginhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/retrollama/retrollama/internal/host/boundary"
	"github.com/retrollama/retrollama/internal/shmring"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/plugins/kernelplugin/protocol"
	"github.com/retrollama/retrollama/plugins/kernelplugin/spec"
	"github.com/retrollama/retrollama/plugins/proto/kernelpb"
)

// Transports a provider may use (spec's, named here for callers).
const (
	TransportAuto = spec.TransportAuto
	TransportShm  = spec.TransportShm
	TransportGRPC = spec.TransportGRPC
)

// Defaults for the zero values of Options.
const (
	DefaultStartTimeout = spec.DefaultStartTimeout
	DefaultCallTimeout  = spec.DefaultCallTimeout
)

// Options configure one plugin provider.
type Options struct {
	Name   string   // the provider's label ("plugin.goplugin"), for errors and logs
	Path   string   // the plugin binary
	Args   []string // its arguments
	SHA256 string   // when set (hex), a binary hashing otherwise is refused before it runs
	// ProtocolVersion the plugin must speak (0: protocol.Version).
	ProtocolVersion int
	StartTimeout    time.Duration // start and each control call (0: DefaultStartTimeout)
	CallTimeout     time.Duration // each op call (0: DefaultCallTimeout)
	Transport       string        // auto, shm or grpc ("": auto)
	Threads         int           // passed to the plugin's provider
	Logger          hclog.Logger  // the plugin's own log lines arrive here too
}

// Provider is a kernel provider in another process. The per-token ops
// are boundary.Core's; the Provider is its transport (ops.go).
type Provider struct {
	boundary.Core
	o      Options
	log    hclog.Logger
	cmd    *exec.Cmd
	client *plugin.Client
	kc     kernelpb.KernelsClient
	stderr *tail

	remoteName, remoteDesc string
	transport, why         string // the transport used and why

	// shared memory transport
	dataFile, arenaFile *os.File
	region              *shmring.Region
	arenaEnd            int64
	buf                 staging
	shm                 boundary.Staging // views of buf in the region
	kOff, vOff          uint64           // Attention's caches when they are in the region
	cacheNext, cacheEnd uint64           // the KV cache area's bump allocator
	seq                 uint32
	// heap stages the calls that go over gRPC (the grpc transport, or an
	// operand too large for the region's staging).
	heap boundary.Staging

	closeMu sync.Mutex
	closed  bool
}

// staging are the byte offsets of the operand buffers in the region, and
// their capacities in floats.
type staging struct {
	in, out, q, k, gate, up, keys, values uint64
	inLen, outLen, cacheLen               int
}

// New starts the plugin and opens its provider.
func New(o Options) (*Provider, error) {
	if o.StartTimeout <= 0 {
		o.StartTimeout = DefaultStartTimeout
	}
	if o.CallTimeout == 0 {
		o.CallTimeout = DefaultCallTimeout
	}
	if o.Transport == "" {
		o.Transport = TransportAuto
	}
	if o.ProtocolVersion == 0 {
		o.ProtocolVersion = protocol.Version
	}
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	p := &Provider{o: o, log: o.Logger, stderr: newTail(20)}
	p.Core = boundary.NewCore(p)
	if err := p.start(); err != nil {
		p.kill()
		return nil, p.errorf("start: %w", err)
	}
	return p, nil
}

// errorf wraps an error with the provider and plugin path, and the
// plugin's last stderr lines.
func (p *Provider) errorf(format string, args ...any) error {
	return fmt.Errorf("plugin provider %s (%s): %w%s", p.o.Name, p.o.Path, fmt.Errorf(format, args...), p.stderr)
}

// start launches the process and opens the provider.
func (p *Provider) start() error {
	if p.o.ProtocolVersion != protocol.Version {
		return fmt.Errorf("protocol_version %d: this build speaks protocol %d", p.o.ProtocolVersion, protocol.Version)
	}
	var secure *plugin.SecureConfig
	if p.o.SHA256 != "" {
		want, err := hex.DecodeString(p.o.SHA256)
		if err != nil || len(want) != sha256.Size {
			return fmt.Errorf("sha256 %q is not 64 hex digits", p.o.SHA256)
		}
		// go-plugin checks too (SecureConfig), but its error does not
		// say what the binary hashes to; this check does, and runs first.
		got, err := fileSHA256(p.o.Path)
		if err != nil {
			return err
		}
		if got != strings.ToLower(p.o.SHA256) {
			return fmt.Errorf("sha256 of %s is %s, kernels.hcl pins %s: refusing to run a binary that is not the one configured", p.o.Path, got, strings.ToLower(p.o.SHA256))
		}
		secure = &plugin.SecureConfig{Checksum: want, Hash: sha256.New()}
	}
	if _, err := os.Stat(p.o.Path); err != nil {
		return fmt.Errorf("%w (build the shipped plugins with `make plugins`)", err)
	}
	p.transport, p.why = p.o.Transport, "set in kernels.hcl"
	if p.o.Transport != TransportGRPC {
		if err := shmring.Supported(); err != nil {
			if p.o.Transport == TransportShm {
				return fmt.Errorf("transport shm: %w", err)
			}
			p.transport, p.why = TransportGRPC, err.Error()
		}
	}
	cmd := exec.Command(p.o.Path, p.o.Args...)
	orphanProof(cmd)
	if p.transport != TransportGRPC {
		var err error
		if p.dataFile, err = shmring.Create("retrollama-data"); err != nil {
			return err
		}
		if p.arenaFile, err = shmring.Create("retrollama-weights"); err != nil {
			return err
		}
		cmd.ExtraFiles = []*os.File{p.dataFile, p.arenaFile} // fds 3 and 4
	}
	p.cmd = cmd
	p.client = plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  protocol.Handshake,
		VersionedPlugins: map[int]plugin.PluginSet{p.o.ProtocolVersion: {protocol.Name: &protocol.Plugin{}}},
		Cmd:              cmd,
		SecureConfig:     secure,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		StartTimeout:     p.o.StartTimeout,
		Stderr:           p.stderr,
		SyncStdout:       p.stderr, // what the plugin prints after the handshake
		SyncStderr:       p.stderr,
		Logger:           p.log,
		GRPCDialOptions:  protocol.DialOptions(),
		Managed:          true, // plugin.CleanupClients kills it on Ctrl-C
	})
	rpc, err := p.client.Client()
	if err != nil {
		return err
	}
	raw, err := rpc.Dispense(protocol.Name)
	if err != nil {
		return err
	}
	kc, ok := raw.(kernelpb.KernelsClient)
	if !ok {
		return fmt.Errorf("dispensed %T, not a kernels client", raw)
	}
	p.kc = kc
	ctx, cancel := context.WithTimeout(context.Background(), p.o.StartTimeout)
	defer cancel()
	resp, err := kc.Open(ctx, &kernelpb.OpenRequest{Threads: uint32(max(0, p.o.Threads))})
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	p.remoteName, p.remoteDesc = resp.GetName(), resp.GetDescription()
	if p.transport != TransportGRPC && !resp.GetShm() {
		if p.o.Transport == TransportShm {
			return errors.New("transport shm: the plugin cannot map the shared region")
		}
		p.transport, p.why = TransportGRPC, "the plugin cannot map shared memory"
	} else if p.transport != TransportGRPC && p.o.Transport == TransportAuto {
		p.transport, p.why = TransportShm, "auto: Linux memfd + futex, and the plugin maps it"
	}
	if p.transport == TransportGRPC {
		p.closeFiles()
	}
	p.log.Debug("plugin open", "name", p.remoteName, "transport", p.transport, "pid", cmd.Process.Pid)
	return nil
}

// fileSHA256 hashes a file.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// PID returns the plugin's process ID (0 when it is not running).
func (p *Provider) PID() int {
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Transport returns the data path in use: shm or grpc.
func (p *Provider) Transport() string { return p.transport }

// Describe implements kernels.Describer for "kernels explain".
func (p *Provider) Describe() string {
	s := fmt.Sprintf("%s: out-of-process plugin %s (provider %q, pid %d), transport %s (%s), call timeout %s",
		p.o.Name, p.o.Path, p.remoteName, p.PID(), p.transport, p.why, p.o.CallTimeout)
	if p.remoteDesc != "" {
		s += "; " + p.remoteDesc
	}
	return s
}

// Name implements kernels.Provider.
func (p *Provider) Name() string { return p.o.Name }

// Supports implements kernels.Provider by asking the plugin.
func (p *Provider) Supports(q kernels.Query) kernels.Support {
	if dead := p.Dead(); dead != nil {
		return kernels.Support{Reason: "plugin unusable: " + dead.Error()}
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.o.StartTimeout)
	defer cancel()
	s, err := p.kc.Supports(ctx, protocol.ToQuery(q))
	if err != nil {
		p.fail(fmt.Errorf("supports: %w", err))
		return kernels.Support{Reason: "plugin unusable: " + err.Error()}
	}
	return kernels.Support{OK: s.GetOk(), Reason: s.GetReason()}
}

// fail marks the plugin unusable: it is killed (so it cannot go on
// writing shared memory) and every later call returns err.
func (p *Provider) fail(err error) error {
	if p.Dead() == nil {
		p.kill()
		if st := p.cmd.ProcessState; st != nil { // set: kill waited for the process
			err = fmt.Errorf("%w (%s)", err, st)
		}
		p.Retire(p.errorf("%w", err))
	}
	return p.Dead()
}

// kill ends the process at once and waits for go-plugin to drain its
// stderr (so the error can quote it).
func (p *Provider) kill() {
	if p.cmd != nil && p.cmd.Process != nil {
		_ = p.cmd.Process.Kill()
	}
	if p.client != nil {
		p.client.Kill()
	}
}

// exited reports, after each sleep of a wait, whether the process died.
func (p *Provider) exited() error {
	if p.client.Exited() {
		return errors.New("the plugin process exited")
	}
	return nil
}

// Close implements kernels.Provider: the plugin's provider closes, the
// process exits, the shared memory is released.
func (p *Provider) Close() error {
	p.closeMu.Lock()
	defer p.closeMu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	var err error
	if p.Dead() == nil && p.kc != nil {
		ctx, cancel := context.WithTimeout(context.Background(), p.o.StartTimeout)
		if _, e := p.kc.Close(ctx, &kernelpb.CloseRequest{}); e != nil {
			err = p.errorf("close: %w", e)
		}
		cancel()
	}
	if p.client != nil {
		p.client.Kill() // graceful: go-plugin asks the plugin to exit, then kills it
	}
	if p.region != nil {
		_ = shmring.Unmap(p.region.Bytes())
		p.region = nil
	}
	p.closeFiles()
	return err
}

func (p *Provider) closeFiles() {
	for _, f := range []*os.File{p.dataFile, p.arenaFile} {
		if f != nil {
			f.Close()
		}
	}
	p.dataFile, p.arenaFile = nil, nil
}
