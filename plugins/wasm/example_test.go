package wasm_test

import (
	"bytes"
	"fmt"

	"github.com/retrollama/retrollama/plugins/wasm"
)

// The shipped modules are what kernels.hcl names "embedded:NAME"; Module
// returns their bytes, unpacked, ready for a WASM runtime.
func ExampleModule() {
	fmt.Println(wasm.Names())
	for _, name := range wasm.Names() {
		b, ok := wasm.Module(name)
		fmt.Println(name, ok, bytes.HasPrefix(b, []byte("\x00asm")))
	}
	_, ok := wasm.Module("missing.wasm")
	fmt.Println("missing.wasm", ok)
	// Output:
	// [goexample.wasm simd128.wasm]
	// goexample.wasm true true
	// simd128.wasm true true
	// missing.wasm false
}
