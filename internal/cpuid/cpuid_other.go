//go:build !386 && !amd64

package cpuid

func available() bool  { return false }
func leaf1EDX() uint32 { return 0 }
