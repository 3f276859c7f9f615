//go:build !386

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/internal/host/quantize"
	"github.com/retrollama/retrollama/internal/p2run"
	"github.com/retrollama/retrollama/internal/testdata"
)

// The Pentium II acceptance tests: the "make p2" build (static linux/386,
// GO386=softfloat) run on the emulated Pentium II with 128 MB by
// ../shared/tools/p2run, with its default profile (the one it picks on
// that CPU). They skip where p2run or QEMU is missing and in -short mode.

var (
	p2Once sync.Once
	p2Bin  string
)

// p2Binary builds the Pentium II binary once for all tests of the run.
func p2Binary(t *testing.T) string {
	t.Helper()
	p2run.Tool(t)
	p2Once.Do(func() {
		dir, err := os.MkdirTemp("", "retrollama-p2-")
		if err != nil {
			t.Fatal(err)
		}
		afterTests = append(afterTests, func() { os.RemoveAll(dir) })
		p2Bin = p2run.BuildCommandIn(t, dir, "./cmd/retrollama", "softfloat")
	})
	if p2Bin == "" {
		t.Fatal("the Pentium II build failed in an earlier test")
	}
	return p2Bin
}

// TestPentium2Golden: every golden case of cases.tsv (fp32 and Q8_0
// stories260K) prints exactly llama2.c's bytes on the Pentium II.
func TestPentium2Golden(t *testing.T) {
	bin := p2Binary(t)
	for _, c := range readCases(t) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel() // each guest is one QEMU thread
			files := []string{testdata.Path(t, "models", c.model), testdata.Path(t, "models", c.tokenizer)}
			args := append([]string{"run", c.model}, c.args...)
			args = append(args, "-z", c.tokenizer)
			r := p2run.Run(t, p2run.Options{Files: files}, bin, args...)
			if r.Exit != 0 {
				t.Fatalf("exit %d\n%s", r.Exit, r.Stderr)
			}
			want, err := os.ReadFile(testdata.Path(t, "golden", c.name+".out"))
			if err != nil {
				t.Fatal(err)
			}
			if r.Stdout != string(want) {
				t.Errorf("stdout differs from llama2.c at byte %d\n got: %q\nwant: %q", firstDiff([]byte(r.Stdout), want), r.Stdout, want)
			}
			t.Logf("%s", firstLine(r.Stderr))
		})
	}
}

// TestPentium2Stories15M: stories15M generates 16 tokens (-n 17: llama2.c
// counts BOS's position) in the 128 MB guest without running out of
// memory: the fp32 model (61 MB of weights) built in the guest's heap, and
// the Q8_0 model as a 17 MB checkpoint file, memory-mapped. (A 61 MB file
// cannot be handed to the guest: p2run's initramfs holds it in guest RAM
// twice while unpacking.)
func TestPentium2Stories15M(t *testing.T) {
	bin := p2Binary(t)
	q8 := filepath.Join(t.TempDir(), "stories15M_q80.bin")
	if err := writeSynthetic("stories15M-q8", q8, checkpoint.FormatLegacy); err != nil {
		t.Fatal(err)
	}
	tok := testdata.Path(t, "models", "tokenizer.bin")
	for _, tt := range []struct {
		name  string
		files []string
		args  []string
	}{
		{"fp32 synthetic in memory", nil, []string{"--synthetic", "stories15M"}},
		{"q8_0 file mmap'd", []string{q8, tok}, []string{filepath.Base(q8), "-z", filepath.Base(tok)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"run"}, tt.args...)
			args = append(args, "-n", "17", "-t", "0")
			r := p2run.Run(t, p2run.Options{Files: tt.files, Report: true}, bin, args...)
			if r.Exit != 0 {
				t.Fatalf("exit %d\n%s", r.Exit, r.Stderr)
			}
			if len(strings.TrimSpace(r.Stdout)) == 0 || !strings.Contains(r.Stderr, "achieved tok/s") {
				t.Errorf("no generation: stdout %q\n%s", r.Stdout, r.Stderr)
			}
			t.Logf("%s; guest max RSS %s kB", firstLine(r.Stderr), r.Report["maxrss_kb"])
		})
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// TestPentium2WASM: the 386 build runs the wasm profile (every op in the
// SIMD128 module) on wazero's interpreter, the only engine there, and
// prints the reference's greedy text, with no fallback warning.
func TestPentium2WASM(t *testing.T) {
	bin := p2Binary(t)
	model, tok := testdata.Path(t, "models", "stories260K.bin"), testdata.Path(t, "models", "tokenizer.bin")
	args := []string{"run", "stories260K.bin", "-z", "tokenizer.bin", "-t", "0", "-n", "24"}
	want, errText, code := runCLI(t, "run", model, "-z", tok, "-t", "0", "-n", "24", "--profile", "reference")
	if code != 0 {
		t.Fatalf("reference on the host: exit %d: %s", code, errText)
	}
	r := p2run.Run(t, p2run.Options{Files: []string{model, tok}}, bin, append(args, "--profile", "wasm")...)
	if r.Exit != 0 {
		t.Fatalf("exit %d\n%s", r.Exit, r.Stderr)
	}
	if r.Stdout != want {
		t.Errorf("stdout differs from the reference at byte %d\n got: %q\nwant: %q", firstDiff([]byte(r.Stdout), []byte(want)), r.Stdout, want)
	}
	if !strings.HasPrefix(r.Stderr, "achieved tok/s") {
		t.Errorf("stderr has more than the tok/s line (a fallback?):\n%s", r.Stderr)
	}
	t.Logf("%s", firstLine(r.Stderr))

	r = p2run.Run(t, p2run.Options{Files: []string{model}}, bin, "kernels", "explain", "--profile", "wasm", "--model", "stories260K.bin")
	if r.Exit != 0 || !strings.Contains(r.Stdout, "engine interpreter (auto: wazero has no compiler for GOARCH=386)") {
		t.Errorf("explain in the guest: exit %d\n%s\n%s", r.Exit, r.Stdout, r.Stderr)
	}
}

// TestPentium2PerMatrix: stories260K quantized with a group size per
// matrix (64, and 172 for w2) runs on the Pentium II through the p2
// build's default profile and prints exactly what the reference profile
// prints natively on the same file, greedy and sampled.
func TestPentium2PerMatrix(t *testing.T) {
	bin := p2Binary(t)
	pm := filepath.Join(t.TempDir(), "stories260K_q8pm.bin")
	if _, err := quantize.FilePerMatrix(testdata.Path(t, "models", "stories260K.bin"), pm, 0, nil); err != nil {
		t.Fatal(err)
	}
	tok := testdata.Path(t, "models", "tokenizer.bin")
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"greedy", []string{"-t", "0", "-n", "64"}},
		{"sampled", []string{"-t", "1", "-p", "0.9", "-s", "42", "-n", "64"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			native := append([]string{"run", pm, "-z", tok, "--profile", "reference"}, tt.args...)
			var want, stderr bytes.Buffer
			if code := runMain(native, strings.NewReader(""), &want, &stderr); code != 0 {
				t.Fatalf("native reference: exit %d: %s", code, stderr.String())
			}
			args := append([]string{"run", filepath.Base(pm), "-z", filepath.Base(tok)}, tt.args...)
			r := p2run.Run(t, p2run.Options{Files: []string{pm, tok}}, bin, args...)
			if r.Exit != 0 {
				t.Fatalf("exit %d\n%s", r.Exit, r.Stderr)
			}
			if r.Stdout != want.String() {
				t.Errorf("the Pentium II's stdout differs from the native reference's at byte %d\n got: %q\nwant: %q",
					firstDiff([]byte(r.Stdout), want.Bytes()), r.Stdout, want.String())
			}
			if rest := strings.TrimSpace(r.Stderr); !strings.HasPrefix(rest, "achieved tok/s") || strings.Contains(rest, "\n") {
				t.Errorf("stderr = %q, want only the achieved tok/s line (no fallback, no warning)", r.Stderr)
			}
		})
	}
}
