//go:build !386

package f32

import (
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/p2run"
)

// TestOnPentium2 runs this package's tests, built for 386 (the x87
// assembly), on the emulated Pentium II.
func TestOnPentium2(t *testing.T) {
	p2run.Tool(t)
	r := p2run.Run(t, p2run.Options{}, p2run.BuildTest(t, "./internal/f32"), "-test.v")
	if r.Exit != 0 || !strings.Contains(r.Stdout, "\nPASS") {
		t.Fatalf("exit %d\n%s\n%s", r.Exit, r.Stdout, r.Stderr)
	}
}
