//go:build 386 || amd64

package cpuid

// leaf1EDX returns EDX of CPUID with EAX=1 (cpuid_386.s, cpuid_amd64.s).
func leaf1EDX() uint32

// hasCPUID reports whether the CPUID instruction exists: always on amd64;
// on 386, whether EFLAGS bit 21 (ID) can be toggled (every CPU since the
// late 486s, including the Pentium II).
func hasCPUID() bool

func available() bool { return hasCPUID() }
