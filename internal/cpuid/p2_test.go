//go:build !386

package cpuid_test

import (
	"testing"

	"github.com/retrollama/retrollama/internal/p2run"
)

// TestOnPentium2 runs this package's 386 tests on the emulated Pentium II
// and on a Pentium III: CPUID must report x87, CMOV and MMX but no SSE on
// the first, SSE but no SSE2 on the second.
func TestOnPentium2(t *testing.T) {
	for _, tt := range []struct{ cpu, want string }{
		{"pentium2", "detected {FPU:true CMOV:true MMX:true SSE:false SSE2:false}"},
		{"pentium3", "detected {FPU:true CMOV:true MMX:true SSE:true SSE2:false}"},
	} {
		t.Run(tt.cpu, func(t *testing.T) {
			p2run.Test(t, "./internal/cpuid", p2run.Options{CPU: tt.cpu}, []string{tt.want}, "-test.v", "-test.run", "TestDetect")
		})
	}
}
