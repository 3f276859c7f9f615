package wasm_test

import (
	"bytes"
	"os"
	"slices"
	"testing"

	"github.com/retrollama/retrollama/plugins/wasm"
)

// TestModules: every shipped module is embedded, byte-identical to the
// committed build beside its source (the Go one through gzip).
func TestModules(t *testing.T) {
	if got := wasm.Names(); !slices.Equal(got, []string{"goexample.wasm", "simd128.wasm"}) {
		t.Errorf("Names() = %v", got)
	}
	for name, file := range map[string]string{"simd128.wasm": "simd128/simd128.wasm", "goexample.wasm": "goexample/goexample.wasm"} {
		b, ok := wasm.Module(name)
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !ok || !bytes.Equal(b, want) {
			t.Errorf("Module(%q): %d bytes, ok %v; %s has %d", name, len(b), ok, file, len(want))
		}
	}
	for _, bad := range []string{"nope.wasm", "../modules.go", "simd128"} {
		if _, ok := wasm.Module(bad); ok {
			t.Errorf("Module(%q) found something", bad)
		}
	}
}
