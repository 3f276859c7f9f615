// Package protocol is what retrollama and a kernel plugin agree on before
// any kernel runs: the go-plugin handshake, the protocol version, the name
// under which the plugin is dispensed, the go-plugin glue for the gRPC
// service of plugins/proto, and the conversions between the kernel
// contract's types and the wire's. Both the host (internal/host/pluginhost) and the
// SDK (plugins/kernelplugin) use it, so neither can drift from the other.
package protocol

import (
	"context"
	"fmt"
	"math"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/plugins/kernelplugin/spec"
	"github.com/retrollama/retrollama/plugins/proto/kernelpb"
)

// Version is the protocol version this build speaks (see spec.Version).
const Version = spec.Version

// Name is the key under which the kernels service is dispensed.
const Name = "kernels"

// Handshake is the go-plugin handshake. The cookie only keeps a plugin
// binary from being run by hand by mistake; it is not security (the
// sha256 pin of kernels.hcl is).
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  Version,
	MagicCookieKey:   "RETROLLAMA_KERNEL_PLUGIN",
	MagicCookieValue: "d6f0a4c3-retrollama-kernels",
}

// MaxMessage is the largest gRPC message either side accepts: a Prepare
// of the stories110M classifier (32000×768 float32, 98 MB) on the gRPC
// transport must fit.
const MaxMessage = 1 << 30

// Plugin is go-plugin's glue for the kernels service: on the plugin side
// Kernels is registered with the gRPC server; on the host side the
// dispensed value is a kernelpb.KernelsClient.
type Plugin struct {
	plugin.NetRPCUnsupportedPlugin
	Kernels kernelpb.KernelsServer
}

// GRPCServer implements plugin.GRPCPlugin.
func (p *Plugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	if p.Kernels == nil {
		return fmt.Errorf("kernels plugin: no server")
	}
	kernelpb.RegisterKernelsServer(s, p.Kernels)
	return nil
}

// GRPCClient implements plugin.GRPCPlugin.
func (p *Plugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return kernelpb.NewKernelsClient(c), nil
}

// Dial options the host adds so that large weights and logits pass.
func DialOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessage), grpc.MaxCallSendMsgSize(MaxMessage))}
}

// ServerOptions are the plugin side's counterpart of DialOptions.
func ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{grpc.MaxRecvMsgSize(MaxMessage), grpc.MaxSendMsgSize(MaxMessage)}
}

// ToShape converts a model shape to the wire.
func ToShape(s kernels.Shape) *kernelpb.Shape {
	return &kernelpb.Shape{Dim: u32(s.Dim), HiddenDim: u32(s.HiddenDim), Heads: u32(s.Heads), KvHeads: u32(s.KVHeads),
		SeqLen: u32(s.SeqLen), VocabSize: u32(s.VocabSize), Layers: u32(s.Layers)}
}

// FromShape converts a shape from the wire.
func FromShape(s *kernelpb.Shape) kernels.Shape {
	if s == nil {
		return kernels.Shape{}
	}
	return kernels.Shape{Dim: int(s.Dim), HiddenDim: int(s.HiddenDim), Heads: int(s.Heads), KVHeads: int(s.KvHeads),
		SeqLen: int(s.SeqLen), VocabSize: int(s.VocabSize), Layers: int(s.Layers)}
}

// ToQuery converts a Supports query to the wire.
func ToQuery(q kernels.Query) *kernelpb.Query {
	return &kernelpb.Query{Op: string(q.Op), Dtype: uint32(q.DType), Model: ToShape(q.Model), Rows: u32(q.Rows), Cols: u32(q.Cols), GroupSize: u32(q.GroupSize)}
}

// FromQuery converts a Supports query from the wire.
func FromQuery(q *kernelpb.Query) kernels.Query {
	return kernels.Query{Op: kernels.Op(q.GetOp()), DType: kernels.DType(q.GetDtype()), Model: FromShape(q.GetModel()), Rows: int(q.GetRows()), Cols: int(q.GetCols()), GroupSize: int(q.GetGroupSize())}
}

// u32 clamps a size to the wire's width (sizes are checked before they get
// here; clamping keeps a hostile value from wrapping to a small one).
func u32(v int) uint32 {
	if v < 0 {
		return 0
	}
	if uint64(v) > math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(v)
}

// NominalShape is the model (stories15M, from kernels.Models) on which
// Open describes which ops and dtypes a plugin supports.
var NominalShape = func() kernels.Shape { m, _ := kernels.ModelNamed("stories15M"); return m.Shape }()
