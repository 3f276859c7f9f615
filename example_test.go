package retrollama_test

import (
	"bytes"
	"fmt"

	"github.com/retrollama/retrollama"
)

// A command that finds no kernels.hcl beside it parses the built-in copy,
// naming it DefaultKernelsName in its diagnostics. Each call returns a
// fresh copy, so a caller may modify it.
func ExampleDefaultKernelsHCL() {
	hcl := retrollama.DefaultKernelsHCL()
	fmt.Println(retrollama.DefaultKernelsName)
	fmt.Println("declares profiles:", bytes.Contains(hcl, []byte("profile \"")))

	hcl[0] = 'X' // the caller's copy only
	fmt.Println("built-in copy unchanged:", retrollama.DefaultKernelsHCL()[0] != 'X')
	// Output:
	// kernels.hcl (built in)
	// declares profiles: true
	// built-in copy unchanged: true
}
