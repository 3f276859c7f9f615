//go:build !386

package x87_test

import (
	"strings"
	"testing"
	"time"

	"github.com/retrollama/retrollama/internal/p2run"
)

// TestOnPentium2 runs this package's tests, built for 386 with the x87
// assembly, on the emulated Pentium II: every kernel bit for bit against
// its Go version and the provider against scalar, on guarded buffers, and
// expf against mathf.Exp on 2^20 arguments. -test.short leaves out the
// 32000-row classifier, whose softfloat reference alone takes ~45 s
// there; the whole run takes ~15 s.
func TestOnPentium2(t *testing.T) {
	p2run.Test(t, "./internal/kernels/x87", p2run.Options{Timeout: 5 * time.Minute}, []string{
		"Usable() = <nil>",
		"0 mismatches with mathf.Exp in 1048662 arguments (x87 code: true)",
		"--- PASS: TestProviderMatchesScalar",
		"\nPASS\n",
	}, "-test.v", "-test.short")
}

// TestConformanceOnPentium2 runs the conformance suite and the replay of
// stories260K's kernel calls on the x87 provider on the emulated Pentium
// II (the builtin package's tests, filtered to x87); ../shared goes along
// for the model. GOGC=20 keeps the suite's copies of the 32000×288
// classifier within the guest's 128 MB. About 3 minutes, most of it the
// softfloat reference.
func TestConformanceOnPentium2(t *testing.T) {
	o := p2run.Options{
		Files:   []string{p2run.Shared(t)},
		Env:     []string{p2run.SharedEnv, "GOGC=20"},
		Timeout: 12 * time.Minute, // ~3 alone; 9 measured sharing two cores with other emulators
	}
	r := p2run.Test(t, "./internal/kernels/builtin", o, []string{
		"--- PASS: TestConformance/x87",
		"--- PASS: TestReplay/x87",
		"\nPASS\n",
	}, "-test.v", "-test.short", "-test.run", "^TestConformance$/^x87$|^TestReplay$/^x87$")
	for _, line := range strings.Split(r.Stdout, "\n") {
		if strings.Contains(line, " calls: ") { // the conformance summary
			t.Log(strings.TrimSpace(line))
		}
	}
}
