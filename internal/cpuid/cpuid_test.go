package cpuid

import (
	"runtime"
	"testing"
)

func TestFromEDX(t *testing.T) {
	tests := []struct {
		name string
		edx  uint32
		want Features
	}{
		{"none", 0, Features{}},
		// EDX of a Pentium II (Deschutes): fpu … cmov … mmx fxsr, no sse.
		{"pentium2", 0x0183f9ff, Features{FPU: true, CMOV: true, MMX: true}},
		{"sse2 only bit", 1 << 26, Features{SSE2: true}},
		{"sse only bit", 1 << 25, Features{SSE: true}},
	}
	for _, tt := range tests {
		if got := fromEDX(tt.edx); got != tt.want {
			t.Errorf("%s: fromEDX(%#x) = %+v, want %+v", tt.name, tt.edx, got, tt.want)
		}
	}
}

// TestDetect: every x86-64 CPU has all five; other architectures have none.
func TestDetect(t *testing.T) {
	got := Detect()
	t.Logf("detected %+v", got)
	switch runtime.GOARCH {
	case "amd64":
		if want := (Features{FPU: true, CMOV: true, MMX: true, SSE: true, SSE2: true}); got != want {
			t.Errorf("Detect() = %+v on amd64, want %+v", got, want)
		}
	case "386":
		if !got.FPU {
			t.Errorf("Detect() = %+v: no FPU on a 386 CPU Go runs on?", got)
		}
	default:
		if got != (Features{}) {
			t.Errorf("Detect() = %+v on %s, want none", got, runtime.GOARCH)
		}
	}
}
