package avx512

import (
	"testing"

	"github.com/retrollama/retrollama/kernels"
)

// TestDeclinesWithoutAVX512: on a CPU without AVX-512 (simulated by
// clearing the detected flags) the provider declines every op and dtype
// with a reason, so no profile selects it there; on one with AVX-512 but
// without VNNI it declines the Q8_0 matmul too (and the fp32 one
// everywhere, for avx2's).
func TestDeclinesWithoutAVX512(t *testing.T) {
	if !hasAVX512 {
		t.Skip("this CPU already lacks AVX-512; TestSupports covers it")
	}
	saved, savedVNNI := hasAVX512, hasVNNI
	defer func() { hasAVX512, hasVNNI = saved, savedVNNI }()

	hasAVX512, hasVNNI = false, false
	if Usable() == nil {
		t.Fatal("Usable() = nil without AVX-512")
	}
	p := New(1)
	for _, op := range kernels.AllOps() {
		for _, dt := range []kernels.DType{kernels.F32, kernels.Q8_0} {
			for _, gs := range []int{0, 32, 64} {
				if s := p.Supports(kernels.Query{Op: op, DType: dt, GroupSize: gs}); s.OK || s.Reason == "" {
					t.Errorf("%s %v gs %d: %+v without AVX-512", op, dt, gs, s)
				}
			}
		}
	}

	hasAVX512 = true
	if s := p.Supports(kernels.Query{Op: kernels.MatMul, DType: kernels.Q8_0, GroupSize: 32}); s.OK || s.Reason == "" {
		t.Errorf("q8_0 matmul without VNNI: %+v", s)
	}
	if s := p.Supports(kernels.Query{Op: kernels.MatMul, DType: kernels.F32}); s.OK || s.Reason == "" {
		t.Errorf("fp32 matmul (declined for avx2's): %+v", s)
	}
}
