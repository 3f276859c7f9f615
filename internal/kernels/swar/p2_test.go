//go:build !386

package swar_test

import (
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/p2run"
)

// TestOnPentium2 runs this package's tests, built for linux/386 with
// GO386=softfloat, on the emulated Pentium II: there every 64-bit multiply
// and add is a sequence of 32-bit instructions, and the packing,
// extraction and matmul must still match the reference bit for bit.
func TestOnPentium2(t *testing.T) {
	p2run.Tool(t)
	bin := p2run.BuildTest(t, "./internal/kernels/swar")
	r := p2run.Run(t, p2run.Options{}, bin, "-test.short", "-test.v")
	if r.Exit != 0 || !strings.Contains(r.Stdout, "--- PASS: TestMatMulExact") || !strings.Contains(r.Stdout, "--- PASS: TestOneWordExhaustive") {
		t.Fatalf("exit %d\n%s\n%s", r.Exit, r.Stdout, r.Stderr)
	}
}
