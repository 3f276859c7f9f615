//go:build wasip1

package sdk_test

import (
	"fmt"

	"github.com/retrollama/retrollama/plugins/wasm/sdk"
)

// What a module does with the ABI's arguments: the host allocates its
// buffers through rl_alloc (Alloc) while loading, then passes their byte
// offsets and lengths to each op, which views them as slices (F32, I8)
// without copying. Here the example plays the host too.
func Example() {
	off := sdk.Alloc(3 * 4)
	fmt.Println("aligned:", off%sdk.Align == 0)

	x := sdk.F32(off, 3) // what an op sees of the host's buffer
	copy(x, []float32{1, 2, 3})
	for i := range x {
		x[i] *= 2
	}
	fmt.Println(sdk.F32(off, 3)) // the same memory, seen again
	// Output:
	// aligned: true
	// [2 4 6]
}
