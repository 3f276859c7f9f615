//go:build 386

package x87

import (
	"fmt"

	"github.com/retrollama/retrollama/internal/cpuid"
)

// The assembly kernels (kernels_386.s); generic.go documents each one's
// semantics. Their callers guarantee the sizes the loops rely on (see
// provider.go), which the assembly does not check.

//go:noescape
func matMul(out, w, x []float32, stride int)

//go:noescape
func matMulT(out, a, v []float32, stride int)

//go:noescape
func rmsNorm(out, x, w []float32)

//go:noescape
func rope(v, cs []float32)

//go:noescape
func divide(x []float32, d float32)

//go:noescape
func softmax(x []float32)

//go:noescape
func swiGLU(gate, up []float32)

// expf is glibc's expf (mathf.Exp) in x87 code: the routine softmax and
// swiGLU call, exported to the tests.
func expf(x float32) float32

// asm reports whether the kernels are the x87 assembly.
const asm = true

// usable is Usable's answer, computed once: the kernels need the x87 FPU
// and, for softmax's max, FUCOMI and FCMOV, which every CPU with both the
// FPU and CMOV CPUID bits has (the Pentium Pro and later).
var usable = func() error {
	f := cpuid.Detect()
	if !f.FPU || !f.CMOV {
		return fmt.Errorf("x87: needs an x87 FPU with FCMOV and FUCOMI (CPUID FPU and CMOV, Pentium Pro or later); this CPU has FPU=%v CMOV=%v", f.FPU, f.CMOV)
	}
	return nil
}()
