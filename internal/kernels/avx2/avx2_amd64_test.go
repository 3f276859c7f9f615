package avx2

import (
	"testing"

	"github.com/retrollama/retrollama/kernels"
)

// TestDeclinesWithoutAVX2: on a CPU without AVX2 (simulated by
// clearing the detected flag) the provider declines every op, so no
// profile can select it there.
func TestDeclinesWithoutAVX2(t *testing.T) {
	if !hasAVX2 {
		t.Skip("this CPU already lacks AVX2; TestDeclines covers it")
	}
	hasAVX2 = false
	defer func() { hasAVX2 = true }()
	if Usable() == nil {
		t.Fatal("Usable() = nil without AVX2")
	}
	p := New(1)
	for _, op := range kernels.AllOps() {
		for _, dt := range []kernels.DType{kernels.F32, kernels.Q8_0} {
			if s := p.Supports(kernels.Query{Op: op, DType: dt}); s.OK || s.Reason == "" {
				t.Errorf("%s %v: %+v without AVX2", op, dt, s)
			}
		}
	}
}
