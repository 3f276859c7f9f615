package spec_test

import (
	"fmt"
	"slices"

	"github.com/retrollama/retrollama/plugins/kernelplugin/spec"
)

// kernels.hcl's checks use spec without linking the plugin machinery: a
// provider's transport must be one of Transports, and a block that sets
// no timeouts gets the defaults.
func Example() {
	fmt.Println("protocol version", spec.Version)
	fmt.Println(spec.Transports(), slices.Contains(spec.Transports(), "udp"))
	fmt.Println(spec.DefaultStartTimeout, spec.DefaultCallTimeout)
	// Output:
	// protocol version 1
	// [auto shm grpc] false
	// 10s 10s
}
