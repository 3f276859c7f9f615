//go:build !386

package f32

import (
	"testing"

	"github.com/retrollama/retrollama/internal/p2run"
)

// TestOnPentium2 runs this package's tests, built for 386 (the x87
// assembly), on the emulated Pentium II.
func TestOnPentium2(t *testing.T) {
	p2run.Test(t, "./internal/f32", p2run.Options{}, []string{"\nPASS"}, "-test.v")
}
