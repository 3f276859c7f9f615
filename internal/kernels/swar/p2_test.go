//go:build !386

package swar_test

import (
	"testing"

	"github.com/retrollama/retrollama/internal/p2run"
)

// TestOnPentium2 runs this package's tests, built for linux/386 with
// GO386=softfloat, on the emulated Pentium II: there every 64-bit multiply
// and add is a sequence of 32-bit instructions, and the packing,
// extraction and matmul must still match the reference bit for bit.
func TestOnPentium2(t *testing.T) {
	p2run.Test(t, "./internal/kernels/swar", p2run.Options{},
		[]string{"--- PASS: TestMatMulExact", "--- PASS: TestOneWordExhaustive"}, "-test.short", "-test.v")
}
