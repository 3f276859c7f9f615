package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/retrollama/retrollama/internal/plugintest"
	"github.com/retrollama/retrollama/internal/testdata"

	// The plugins are built by "go build" at test time, which go test's
	// cache does not see; importing what they are made of makes a change
	// there invalidate a cached result.
	_ "github.com/retrollama/retrollama/internal/kernels/unrolled"
	_ "github.com/retrollama/retrollama/plugins/kernelplugin"
)

// buildPlugin compiles a plugin's main package once per test binary.
func buildPlugin(t testing.TB, pkg string, env ...string) string {
	t.Helper()
	return plugintest.Build(t, pkg, env...)
}

// pluginKernels writes a kernels file whose profile "p" routes every op
// to one plugin provider, plugin.<name>, with the given body lines.
func pluginKernels(t testing.TB, name, body, onError string) string {
	t.Helper()
	src := fmt.Sprintf(`
provider "plugin" %q {
%s
}
profile "p" {
  default  = [plugin.%s]
  on_error = %q
}
`, name, body, name, onError)
	return writeKernelsFile(t, src)
}

// TestPluginGolden: with every op in the Go example plugin, the greedy
// fp32 texts are llama2.c's, byte for byte, and stderr holds only the
// tok/s line (a fallback to the reference would log a warning).
func TestPluginGolden(t *testing.T) {
	kernels := pluginKernels(t, "goplugin", fmt.Sprintf("  path = %q", buildPlugin(t, "plugins/goplugin")), "fallback")
	ran := 0
	for _, c := range readCases(t) {
		greedy := slices.Contains(c.args, "-t") && c.args[slices.Index(c.args, "-t")+1] == "0"
		if !greedy || strings.Contains(c.model, "_q80_") {
			continue
		}
		ran++
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"run", testdata.Path(t, "models", c.model)}, c.args...)
			args = append(args, "-z", testdata.Path(t, "models", c.tokenizer), "--kernels", kernels, "--profile", "p")
			out, errText, code := runCLI(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errText)
			}
			want, err := os.ReadFile(testdata.Path(t, "golden", c.name+".out"))
			if err != nil {
				t.Fatal(err)
			}
			if out != string(want) {
				t.Errorf("stdout differs from llama2.c at byte %d\n got: %q\nwant: %q", firstDiff([]byte(out), want), out, want)
			}
			if !strings.HasPrefix(errText, "achieved tok/s: ") || strings.Count(errText, "\n") != 1 {
				t.Errorf("stderr = %q, want only the achieved tok/s line", errText)
			}
		})
	}
	if ran == 0 {
		t.Fatal("no greedy fp32 golden case")
	}
}

// TestPluginFaults: a plugin that crashes mid-token, hangs, answers with
// the wrong length, exits at start, speaks another protocol version or
// fails its sha256 pin never takes the host down. With on_error =
// "fallback" generation completes on the reference with llama2.c's text
// and a warning naming the provider and the problem; with "fail" it stops
// with an error saying so. No plugin process is left either way.
func TestPluginFaults(t *testing.T) {
	faulty := buildPlugin(t, "plugins/kernelplugin/internal/faultplugin")
	model := testdata.Path(t, "models", "stories260K.bin")
	tok := testdata.Path(t, "models", "tokenizer.bin")
	args := []string{"run", model, "-z", tok, "-t", "0", "-n", "40"}
	want, errText, code := runCLI(t, append(args, "--profile", "reference")...)
	if code != 0 {
		t.Fatalf("reference: exit %d: %s", code, errText)
	}
	for _, c := range []struct {
		name  string
		body  string
		says  []string
		runs  bool // the binary starts (and writes its pid)
		start bool // the fault happens while starting
	}{
		{"crash", `args = ["-crash-after", "100"]`, []string{"the plugin process exited", "crashing at op call 100 as asked"}, true, false},
		{"hang", "args = [\"-hang-after\", \"100\"]\n  call_timeout = \"300ms\"", []string{"no answer within call_timeout 300ms", "hanging at op call 100 as asked"}, true, false},
		{"wrong-length", `args = ["-wrong-length"]`, []string{"answered with", "breaks the protocol"}, true, false},
		{"exit-at-start", `args = ["-exit-at-start"]`, []string{"exiting at start as asked"}, true, true},
		{"wrong-protocol", `args = ["-protocol", "2"]`, []string{"incompatible API version with plugin. Plugin version: 2, Client versions: [1]"}, true, true},
		{"checksum", fmt.Sprintf("sha256 = %q", strings.Repeat("ab", 32)), []string{"kernels.hcl pins abab", "refusing to run"}, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, onError := range []string{"fallback", "fail"} {
				pidFile := filepath.Join(t.TempDir(), "pid")
				body := fmt.Sprintf("  path = %q\n  %s", faulty, c.body)
				body = strings.Replace(body, "args = [", fmt.Sprintf("args = [\"-pidfile\", %q, ", pidFile), 1)
				if !strings.Contains(body, "args") {
					body += fmt.Sprintf("\n  args = [\"-pidfile\", %q]", pidFile)
				}
				out, errText, code := runCLI(t, append(args, "--kernels", pluginKernels(t, "fault", body, onError), "--profile", "p")...)
				says := append([]string{"plugin.fault"}, c.says...)
				if onError == "fallback" {
					if code != 0 {
						t.Fatalf("fallback: exit %d: %s", code, errText)
					}
					if out != want {
						t.Errorf("fallback: text differs from the reference's\n got %q\nwant %q", out, want)
					}
				} else if code == 0 {
					t.Fatalf("fail: exit 0; stdout %q", out)
				}
				plain := strings.ReplaceAll(errText, `\"`, `"`) // hclog quotes a logged error
				for _, s := range says {
					if !strings.Contains(plain, s) {
						t.Errorf("%s: stderr does not say %q:\n%s", onError, s, errText)
					}
				}
				if strings.Contains(errText, "goroutine ") {
					t.Errorf("%s: stderr has a panic:\n%s", onError, errText)
				}
				b, err := os.ReadFile(pidFile)
				if ran := err == nil; ran != c.runs {
					t.Fatalf("%s: plugin ran: %v, want %v", onError, ran, c.runs)
				}
				if pid, _ := strconv.Atoi(string(b)); pid != 0 && syscall.Kill(pid, 0) == nil {
					syscall.Kill(pid, syscall.SIGKILL)
					t.Errorf("%s: plugin process %d outlived the command", onError, pid)
				}
			}
		})
	}
}

// TestPluginNoOrphans: a plugin process ends with the host, whether the
// host is interrupted (Ctrl-C, SIGTERM) or killed outright (SIGKILL).
func TestPluginNoOrphans(t *testing.T) {
	faulty := buildPlugin(t, "plugins/kernelplugin/internal/faultplugin")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			pidFile := filepath.Join(t.TempDir(), "pid")
			// The fault plugin without faults serves the slow scalar
			// reference: stories15M generates for seconds.
			kernels := pluginKernels(t, "slow", fmt.Sprintf("  path = %q\n  args = [\"-pidfile\", %q]", faulty, pidFile), "fail")
			cmd := exec.Command(exe, "run", "--synthetic", "stories15M", "-n", "256", "--kernels", kernels, "--profile", "p", "--threads", "1")
			cmd.Env = append(os.Environ(), "RETROLLAMA_TEST_AS_CLI=1")
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			// Wait for the first generated text: the plugin runs ops then.
			if _, err := bufio.NewReader(stdout).ReadByte(); err != nil {
				t.Fatalf("no output: %v\n%s", err, stderr.String())
			}
			b, err := os.ReadFile(pidFile)
			if err != nil {
				t.Fatal(err)
			}
			pid, _ := strconv.Atoi(string(b))
			if syscall.Kill(pid, 0) != nil {
				t.Fatalf("plugin %d not running", pid)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			go func() { _, _ = bufio.NewReader(stdout).WriteTo(discard{}) }()
			err = cmd.Wait()
			if sig != syscall.SIGKILL {
				if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
					t.Errorf("host exit: %v, want status 130\n%s", err, stderr.String())
				}
			}
			deadline := time.Now().Add(5 * time.Second)
			for syscall.Kill(pid, 0) == nil {
				if time.Now().After(deadline) {
					syscall.Kill(pid, syscall.SIGKILL)
					t.Fatalf("plugin process %d still runs 5 s after the host got %v", pid, sig)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

// discard drains a pipe.
type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }
