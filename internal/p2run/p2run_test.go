package p2run_test

import (
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/p2run"
)

// TestSSE2BuildFails is the control that makes the Pentium II checks
// meaningful: the same command built with GO386=sse2 dies of SIGILL on the
// emulated CPU (exit 132, or Go's own exit 2 with "SIGILL" when the
// runtime catches the signal), while the softfloat build runs.
func TestSSE2BuildFails(t *testing.T) {
	p2run.Tool(t)
	args := []string{"run", "--synthetic", "stories260K", "-n", "4", "-t", "0"}
	good := p2run.Run(t, p2run.Options{}, p2run.BuildCommand(t, "./cmd/retrollama", "softfloat"), args...)
	if good.Exit != 0 || good.Stdout == "" {
		t.Fatalf("softfloat build: exit %d, stdout %q\n%s", good.Exit, good.Stdout, good.Stderr)
	}
	bad := p2run.Run(t, p2run.Options{}, p2run.BuildCommand(t, "./cmd/retrollama", "sse2"), args...)
	if bad.Exit == 0 || !(bad.Exit == 132 || strings.Contains(bad.Stderr, "SIGILL")) {
		t.Fatalf("GO386=sse2 build on the Pentium II: exit %d, want a SIGILL death\n%s", bad.Exit, bad.Stderr)
	}
	t.Logf("sse2 build: exit %d", bad.Exit)
}
