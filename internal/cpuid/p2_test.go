//go:build !386

package cpuid_test

import (
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/p2run"
)

// TestOnPentium2 runs this package's 386 tests on the emulated Pentium II
// and on a Pentium III: CPUID must report x87, CMOV and MMX but no SSE on
// the first, SSE but no SSE2 on the second.
func TestOnPentium2(t *testing.T) {
	p2run.Tool(t)
	bin := p2run.BuildTest(t, "./internal/cpuid")
	for _, tt := range []struct{ cpu, want string }{
		{"pentium2", "detected {FPU:true CMOV:true MMX:true SSE:false SSE2:false}"},
		{"pentium3", "detected {FPU:true CMOV:true MMX:true SSE:true SSE2:false}"},
	} {
		r := p2run.Run(t, p2run.Options{CPU: tt.cpu}, bin, "-test.v", "-test.run", "TestDetect")
		if r.Exit != 0 || !strings.Contains(r.Stdout, tt.want) {
			t.Errorf("%s: exit %d, want %q in\n%s\n%s", tt.cpu, r.Exit, tt.want, r.Stdout, r.Stderr)
		}
	}
}
