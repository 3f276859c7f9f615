package simd128_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/tetratelabs/wazero"
)

// The module is a plain WASM file: any runtime can compile it and list the
// ABI's exports (plugins/wasm/ABI.md) that retrollama's host calls.
func Example() {
	ctx := context.Background()
	bin, err := os.ReadFile("simd128.wasm")
	if err != nil {
		fmt.Println(err)
		return
	}
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	m, err := r.CompileModule(ctx, bin)
	if err != nil {
		fmt.Println(err)
		return
	}
	var ops []string
	for name := range m.ExportedFunctions() {
		if strings.HasPrefix(name, "rl_") {
			ops = append(ops, name)
		}
	}
	slices.Sort(ops)
	fmt.Println(strings.Join(ops, "\n"))
	// Output:
	// rl_abi_version
	// rl_alloc
	// rl_attention
	// rl_init
	// rl_matmul_f32
	// rl_matmul_q8_0
	// rl_rmsnorm
	// rl_rope
	// rl_softmax
	// rl_swiglu
	// rl_test_expf
}
