package wasmhost

import (
	"os"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/plugins/wasm"
)

// TestPrecheck: declared counts and lengths larger than the bytes that
// follow are refused before wazero allocates for them (the inputs are the
// fuzzer's finds, testdata/fuzz/FuzzModule), and real modules pass.
func TestPrecheck(t *testing.T) {
	bad := []struct {
		name, module, want string
	}{
		{"100M exports", "\x00asm\x01\x00\x00\x00\x07\x06\xff\xff\xff\x30\x00\x00", "declares 102760447 exports in 2 bytes"},
		{"200M parameters", "\x00asm\x01\x00\x00\x00\x01\x10\x03`\x00\x01\x7f`\x01\x7f\x01\x7f`\xff\xff\xffb\x7f", "parameter or result types of"},
		{"section past the end", "\x00asm\x01\x00\x00\x00\x01\x7f\x00", "bytes declared"},
		{"no magic", "#!/bin/sh\n", "no \\0asm magic"},
		{"huge data segment", "\x00asm\x01\x00\x00\x00\x0b\x06\x01\x01\xff\xff\xff\x0f", "data segment bytes of"},
	}
	for _, c := range bad {
		if err := precheck([]byte(c.module)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: precheck = %v, want an error saying %q", c.name, err, c.want)
		}
	}
	for _, name := range wasm.Names() {
		b, _ := wasm.Module(name)
		if err := precheck(b); err != nil {
			t.Errorf("shipped %s refused: %v", name, err)
		}
	}
	hostile, _ := os.ReadFile("testdata/loop.wasm")
	if err := precheck(hostile); err != nil {
		t.Errorf("testdata/loop.wasm refused: %v", err)
	}
}
