// Package spec holds the few facts about kernel plugins that code without
// the plugin machinery needs too (kernels.hcl's checks, "kernels list"):
// the protocol version, the transports and the default timeouts. It
// imports nothing, so the Pentium II build, which leaves go-plugin and
// gRPC out (build tag retrollama_noplugins), can still parse a kernels
// file that declares plugins.
package spec

import "time"

// Version is the protocol version this build speaks: the go-plugin API
// version of VersionedPlugins, bumped on any incompatible change to the
// gRPC service (plugins/proto) or the shared-memory layout
// (internal/shmring, plugins/PROTOCOL.md).
const Version = 1

// Transports a plugin provider may use.
const (
	TransportAuto = "auto" // shm where the platform and the plugin have it, else grpc
	TransportShm  = "shm"  // ops through a ring in shared memory
	TransportGRPC = "grpc" // ops as gRPC calls
)

// Transports lists the valid transport settings.
func Transports() []string { return []string{TransportAuto, TransportShm, TransportGRPC} }

// Defaults for a provider block that does not set its timeouts.
const (
	DefaultStartTimeout = 10 * time.Second
	DefaultCallTimeout  = 10 * time.Second
)
