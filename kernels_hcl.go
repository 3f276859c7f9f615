// Package retrollama holds what the whole repository shares at its root:
// the default kernels.hcl, compiled into the binary so that every command
// works without a configuration file beside it.
package retrollama

import (
	_ "embed"
	"slices"
)

//go:embed kernels.hcl
var defaultKernels []byte

// DefaultKernelsName is the name under which diagnostics refer to the
// built-in copy of kernels.hcl.
const DefaultKernelsName = "kernels.hcl (built in)"

// DefaultKernelsHCL returns a copy of the repository's kernels.hcl.
func DefaultKernelsHCL() []byte { return slices.Clone(defaultKernels) }
