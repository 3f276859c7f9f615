//go:build !386

package mmx

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/retrollama/retrollama/internal/p2isa"
	"github.com/retrollama/retrollama/internal/p2run"
)

// TestOnPentium2 runs this package's tests, built for linux/386, on the
// emulated Pentium II: there the kernels are the assembly, checked bit
// for bit against the scalar reference (about 30 s of guest time), with
// ../shared copied in for TestReplayQ8's stories260K.
func TestOnPentium2(t *testing.T) {
	r := p2run.Test(t, "./internal/kernels/mmx", p2run.Options{Files: []string{p2run.Shared(t)}, Env: []string{p2run.SharedEnv}, Timeout: 10 * time.Minute},
		[]string{"\nPASS\n", "running the MMX and x87 assembly"}, "-test.v")
	for _, line := range strings.Split(r.Stdout, "\n") {
		if strings.HasPrefix(line, "--- ") || strings.Contains(line, "values around") || strings.Contains(line, "identical to the reference") {
			t.Log(line)
		}
	}
}

// TestBuiltinOnPentium2 runs internal/kernels/builtin's conformance suite and
// replays of stories260K on the mmx provider on the emulated Pentium II
// (about a minute of guest time, most of it the reference making the
// stories15M classifier's inputs in software floating point), with
// ../shared copied into the guest for the real model. -test.short drops
// the suite's stories110M case: its 32000×768 float classifier alone is
// 98 MB, more than the guest's 128 MB leave.
func TestBuiltinOnPentium2(t *testing.T) {
	// 10 minutes: about one of guest time alone, but the emulator shares
	// two cores with the rest of go test ./... (5 timed out there).
	r := p2run.Test(t, "./internal/kernels/builtin", p2run.Options{Files: []string{p2run.Shared(t)}, Env: []string{p2run.SharedEnv}, Timeout: 10 * time.Minute},
		[]string{"\nPASS\n", "--- PASS: TestConformance/mmx", "--- PASS: TestReplay/mmx"},
		"-test.short", "-test.v", "-test.run", "TestConformance/mmx|TestReplay/mmx")
	for _, line := range strings.Split(r.Stdout, "\n") {
		if strings.Contains(line, " calls: ") || strings.HasPrefix(strings.TrimSpace(line), "--- PASS: Test") && strings.Count(line, "/") == 1 {
			t.Log(strings.TrimSpace(line))
		}
	}
}

// TestInstructionSet disassembles this package in its linux/386 test
// binary with GNU objdump and checks it with internal/p2isa: only i686,
// x87 and MMX (QEMU runs the SSE-era MMX extensions a real Pentium II
// rejects, so only this static check catches them). The assembly must
// moreover do without CMOV, so that the Pentium MMX, which Usable admits,
// runs it too.
func TestInstructionSet(t *testing.T) {
	if testing.Short() {
		t.Skip("builds for linux/386")
	}
	objdump, err := exec.LookPath("objdump")
	if err != nil {
		t.Skip("GNU objdump not installed (apt-get install binutils; .ci/run does)")
	}
	bin := p2run.BuildTest(t, "./internal/kernels/mmx")
	out, err := exec.Command(objdump, "-d", "-M", "intel", "--no-show-raw-insn", bin).Output()
	if err != nil {
		t.Fatalf("objdump %s: %v", bin, err)
	}
	const pkg = "github.com/retrollama/retrollama/internal/kernels/mmx."
	all, err := p2isa.Check(bytes.NewReader(out), func(fn string) bool { return strings.HasPrefix(fn, pkg) })
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range all.Violations {
		t.Errorf("%v", v)
	}
	asm, err := p2isa.Check(bytes.NewReader(out), func(fn string) bool {
		switch strings.TrimPrefix(fn, pkg) {
		case "quantize", "widen", "matQ8", "fpuEnv", "setFPUControl":
			return true
		}
		return false
	})
	if err != nil {
		t.Fatal(err)
	}
	if asm.Functions != 5 || asm.Instructions < 200 {
		t.Fatalf("found %d assembly functions, %d instructions; want the 5 of kernels_386.s", asm.Functions, asm.Instructions)
	}
	for m := range asm.Mnemonics {
		if strings.HasPrefix(m, "cmov") {
			t.Errorf("the assembly uses %s, which the Pentium MMX lacks", m)
		}
	}
	t.Logf("%d functions, %d instructions checked; the assembly: %s", all.Functions, all.Instructions, asm.Summary())
}
