package spec_test

import (
	"fmt"
	"strings"

	"github.com/retrollama/retrollama/plugins/wasm/spec"
)

// A tool that checks a kernels.hcl wasm block needs no WASM runtime: the
// engine names and the embedded: prefix are here.
func Example() {
	fmt.Println(strings.Join(spec.Engines(), ", "))
	path := "embedded:simd128.wasm"
	if name, ok := strings.CutPrefix(path, spec.EmbeddedPrefix); ok {
		fmt.Println("shipped module", name)
	}
	// Output:
	// auto, compiler, interpreter
	// shipped module simd128.wasm
}
