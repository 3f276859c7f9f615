// Package p2run lets host-side tests build retrollama for the Pentium II
// (static linux/386, GO386=softfloat) and run the result on the emulated
// Pentium II of ../shared/tools/p2run (QEMU -cpu pentium2, 128 MB). The
// x86-64 machines here cannot execute 32-bit programs at all (the kernel
// has IA-32 emulation off, and qemu-user crashes Go's 386 runtime), so
// this is the only way the 386 code runs in tests.
//
// Every helper skips its test with a clear message when the tool or QEMU
// is missing, so "go test ./..." stays green on a bare machine; CI
// installs QEMU and always has ../shared.
package p2run

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/retrollama/retrollama/internal/testdata"
)

// Tool returns the path of the p2run script, or skips tb when it or
// qemu-system-i386 is missing, or when tests run with -short (each run
// boots a virtual machine: seconds, not milliseconds).
func Tool(tb testing.TB) string {
	tb.Helper()
	if testing.Short() {
		tb.Skip("p2run: skipped in -short mode (boots an emulated Pentium II)")
	}
	if runtime.GOARCH == "386" {
		tb.Skip("p2run: drives the emulator from the host build; this is the guest build")
	}
	tool := testdata.Path(tb, "tools", "p2run")
	if _, err := os.Stat(tool); err != nil {
		tb.Skipf("p2run: %v", err)
	}
	if _, err := exec.LookPath("qemu-system-i386"); err != nil {
		tb.Skip("p2run: qemu-system-i386 not installed (apt-get install qemu-system-x86; .ci/run does)")
	}
	return tool
}

// Env is the environment of a Pentium II build: static, 32-bit, no SSE2.
// GO386=sse2 is the control build that must fail on the Pentium II.
func Env(go386 string) []string {
	return append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=386", "GO386="+go386)
}

// root is the module's top directory, found from this file.
func root(tb testing.TB) string {
	tb.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		tb.Fatal("p2run: cannot locate the module root")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// goTool is the go command of the toolchain running the tests.
func goTool() string {
	if g := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(g) {
		return g
	}
	return "go"
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// BuildCommand builds the main package pkg (a path relative to the module
// root, e.g. "./cmd/retrollama") for linux/386 with the given GO386, and
// returns the binary's path in a temporary directory.
func BuildCommand(tb testing.TB, pkg, go386 string) string {
	tb.Helper()
	return BuildCommandIn(tb, tb.TempDir(), pkg, go386)
}

// BuildCommandIn is BuildCommand writing into dir, for a binary shared by
// several tests (the caller removes dir).
func BuildCommandIn(tb testing.TB, dir, pkg, go386 string) string {
	tb.Helper()
	out := filepath.Join(dir, filepath.Base(pkg)+"-386-"+go386)
	// The tag is make p2's: no kernel plugins, 6 MB less binary in the
	// guest's 128 MB.
	build(tb, go386, "build", "-trimpath", "-tags", "retrollama_noplugins,retrollama_nocharts", "-ldflags=-s -w", "-o", out, pkg)
	return out
}

// BuildWithSymbols is BuildCommand without stripping, for tools that
// need the symbol table (objdump's per-function listing).
func BuildWithSymbols(tb testing.TB, pkg, go386 string) string {
	tb.Helper()
	out := filepath.Join(tb.TempDir(), filepath.Base(pkg)+"-386-"+go386+"-symbols")
	build(tb, go386, "build", "-trimpath", "-o", out, pkg)
	return out
}

// BuildTest compiles the tests of pkg (relative to the module root) for
// linux/386 softfloat and returns the test binary's path.
func BuildTest(tb testing.TB, pkg string) string {
	tb.Helper()
	out := filepath.Join(tb.TempDir(), filepath.Base(pkg)+".test-386")
	build(tb, "softfloat", "test", "-c", "-o", out, pkg)
	return out
}

func build(tb testing.TB, go386 string, args ...string) {
	tb.Helper()
	cmd := exec.Command(goTool(), args...)
	cmd.Dir = root(tb)
	cmd.Env = Env(go386)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("p2run: go %s (GOARCH=386 GO386=%s): %v\n%s", strings.Join(args, " "), go386, err, out)
	}
}

// Options are p2run's settings for one run.
type Options struct {
	CPU     string        // QEMU CPU model; "" = pentium2
	MemMB   int           // guest RAM; 0 = 128
	Files   []string      // copied into the guest as /data/<base name>
	Env     []string      // K=V added to the program's environment
	Stdin   string        // file fed to stdin; "" = /dev/null
	Timeout time.Duration // host wall-clock limit; 0 = 10 minutes
	Report  bool          // collect p2run's key=value report
}

// Result is what came back from the guest.
type Result struct {
	Exit   int               // the program's exit code; 128+N for signal N, 124 timeout, 125 guest failure
	Stdout string            // the program's standard output
	Stderr string            // its standard error followed by p2run's own lines
	Report map[string]string // p2run's --report values when Options.Report
}

// Run runs bin with args on the emulated Pentium II. Errors of the harness
// itself (p2run could not start) fail tb; the program's own failures are
// in Result for the test to judge.
func Run(tb testing.TB, o Options, bin string, args ...string) Result {
	tb.Helper()
	tool := Tool(tb)
	var a []string
	if o.CPU != "" {
		a = append(a, "--cpu", o.CPU)
	}
	if o.MemMB != 0 {
		a = append(a, "--mem", fmt.Sprint(o.MemMB))
	}
	timeout := o.Timeout
	if timeout == 0 {
		timeout = 10 * time.Minute
	}
	a = append(a, "--timeout", fmt.Sprint(int(timeout.Seconds())))
	for _, f := range o.Files {
		a = append(a, "--file", f)
	}
	for _, e := range o.Env {
		a = append(a, "--env", e)
	}
	if o.Stdin != "" {
		a = append(a, "--stdin", o.Stdin)
	}
	report := ""
	if o.Report {
		report = filepath.Join(tb.TempDir(), "report")
		a = append(a, "--report", report)
	}
	a = append(a, "--")
	a = append(a, bin)
	a = append(a, args...)
	cmd := exec.Command(tool, a...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		r.Exit = exit.ExitCode()
	default:
		tb.Fatalf("p2run %s: %v", bin, err)
	}
	if r.Exit == 127 {
		tb.Fatalf("p2run harness error for %s:\n%s", bin, r.Stderr)
	}
	if report != "" {
		r.Report = map[string]string{}
		if b, err := os.ReadFile(report); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if k, v, ok := strings.Cut(line, "="); ok {
					r.Report[strings.TrimSpace(k)] = strings.TrimSpace(v)
				}
			}
		}
	}
	return r
}

// Test runs the tests of pkg (relative to the module root, built by
// BuildTest) on the emulated Pentium II with args, and fails tb unless
// they exit 0 with every string of want in their standard output: the
// check each package's TestOnPentium2 makes. It skips tb, before building,
// where Tool does. The result is returned for further checks and logs.
func Test(tb testing.TB, pkg string, o Options, want []string, args ...string) Result {
	tb.Helper()
	Tool(tb)
	r := Run(tb, o, BuildTest(tb, pkg), args...)
	var missing []string
	for _, w := range want {
		if !strings.Contains(r.Stdout, w) {
			missing = append(missing, w)
		}
	}
	if r.Exit != 0 || len(missing) > 0 {
		tb.Fatalf("%s on the Pentium II: exit %d, want 0; missing from the output: %q\n%s\n%s", pkg, r.Exit, missing, lastLines(r.Stdout, 100), r.Stderr)
	}
	return r
}

// lastLines is the last n lines of s: a failed guest run's verdict is at
// the end of an output too long to read whole.
func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// SharedEnv is the environment entry that points testdata.SharedDir at
// the copy of ../shared made by Options.Files = SharedFiles(...).
const SharedEnv = testdata.EnvShared + "=/data/shared"

// Shared returns the path of ../shared, to be copied into the guest whole
// with Options.Files (it becomes /data/shared; see SharedEnv). Its models
// are a few MB, well within the guest's RAM.
func Shared(tb testing.TB) string {
	tb.Helper()
	return testdata.SharedDir(tb)
}
