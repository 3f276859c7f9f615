// Package cpuid reports the x86 instruction-set features retrollama's
// 386 kernels depend on. golang.org/x/sys/cpu answers for SSE2 and later
// but not for the x87 FPU, MMX or CMOV, which are exactly what a Pentium
// II build must ask about; this package reads them from CPUID itself
// (EDX of leaf 1) on 386 and amd64, and reports none elsewhere.
package cpuid

// Features is what CPUID leaf 1 says about one CPU.
type Features struct {
	FPU  bool // x87 floating point on chip (EDX bit 0)
	CMOV bool // conditional moves, P6 and later (EDX bit 15)
	MMX  bool // 64-bit integer SIMD (EDX bit 23)
	SSE  bool // EDX bit 25
	SSE2 bool // EDX bit 26
}

// Detect reads the features of the CPU this program runs on.
func Detect() Features {
	if !available() {
		return Features{}
	}
	edx := leaf1EDX()
	return fromEDX(edx)
}

// fromEDX decodes CPUID leaf 1's EDX.
func fromEDX(edx uint32) Features {
	bit := func(n uint) bool { return edx&(1<<n) != 0 }
	return Features{FPU: bit(0), CMOV: bit(15), MMX: bit(23), SSE: bit(25), SSE2: bit(26)}
}
