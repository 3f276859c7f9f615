//go:build !386

package p2isa_test

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/p2isa"
	"github.com/retrollama/retrollama/internal/p2run"
)

const module = "github.com/retrollama/retrollama/"

// disassemble builds ./cmd/retrollama for linux/386 with go386 and checks
// every function of this module in it.
func disassemble(t *testing.T, go386 string) p2isa.Report {
	t.Helper()
	if testing.Short() {
		t.Skip("p2isa: skipped in -short mode (builds the 386 binary)")
	}
	objdump, err := exec.LookPath("objdump")
	if err != nil {
		t.Skip("p2isa: GNU objdump not installed (apt-get install binutils; .ci/run does)")
	}
	bin := p2run.BuildWithSymbols(t, "./cmd/retrollama", go386)
	var out, errb bytes.Buffer
	cmd := exec.Command(objdump, "-d", "-M", "intel", "--no-show-raw-insn", bin)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("objdump %s: %v\n%s", bin, err, errb.String())
	}
	rep, err := p2isa.Check(&out, func(fn string) bool { return strings.HasPrefix(fn, module) })
	if err != nil {
		t.Fatal(err)
	}
	if rep.Functions < 100 {
		t.Fatalf("only %d functions of %s found in %s: is the symbol table there?", rep.Functions, module, bin)
	}
	return rep
}

// TestPentium2Build: the Pentium II build (GO386=softfloat) of the whole
// command, including every 386 assembly kernel, uses only i686, x87 and
// MMX instructions in this module's functions.
func TestPentium2Build(t *testing.T) {
	rep := disassemble(t, "softfloat")
	for i, v := range rep.Violations {
		if i == 20 {
			t.Errorf("… and %d more", len(rep.Violations)-i)
			break
		}
		t.Errorf("%v", v)
	}
	t.Logf("%d functions, %d instructions: %s", rep.Functions, rep.Instructions, rep.Summary())
}

// TestSSE2BuildIsCaught is the check's control: with GO386=sse2 the
// compiler's float code uses SSE registers, and the check must say so.
func TestSSE2BuildIsCaught(t *testing.T) {
	rep := disassemble(t, "sse2")
	if len(rep.Violations) < 10 {
		t.Fatalf("GO386=sse2 build: %d violations, want many (mulss, movss, …): is the check blind?", len(rep.Violations))
	}
	if v := rep.Violations[0]; !strings.Contains(v.Why, "SSE") {
		t.Errorf("first violation %v does not name SSE", v)
	}
}
