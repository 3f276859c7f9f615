package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/testdata"
)

// TestQuantizeThenRun: quantize stories260K with group size 4, then the
// result runs greedily to the same text as llama2.c's runq on its own Q8_0
// export of the model.
func TestQuantizeThenRun(t *testing.T) {
	in := testdata.Path(t, "models", "stories260K.bin")
	out := filepath.Join(t.TempDir(), "q8.bin")
	stdout, errText, code := runCLI(t, "quantize", in, out, "--group-size", "4")
	if code != 0 || !strings.Contains(stdout, "group size 4") || !strings.Contains(stdout, "max quantization error") {
		t.Fatalf("exit %d: %s%s", code, stdout, errText)
	}
	want, err := os.ReadFile(testdata.Path(t, "golden", "s260q8gs4_greedy_n256.out"))
	if err != nil {
		t.Fatal(err)
	}
	got, errText, code := runCLI(t, "run", out, "-z", testdata.Path(t, "models", "tokenizer.bin"), "-t", "0", "-n", "256", "--profile", "reference")
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, errText)
	}
	if !bytes.Equal([]byte(got), want) {
		t.Errorf("greedy text of our Q8_0 file differs from runq's at byte %d", firstDiff([]byte(got), want))
	}
}

func TestQuantizeBadInput(t *testing.T) {
	in := testdata.Path(t, "models", "stories260K.bin")
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"group size not dividing hidden_dim", []string{in, filepath.Join(dir, "a.bin"), "--group-size", "64"}, "172"},
		{"overwrite input", []string{in, in}, "same file"},
		{"missing input", []string{filepath.Join(dir, "nope.bin"), filepath.Join(dir, "b.bin")}, "nope.bin"},
		{"one file", []string{in}, "Usage"},
	}
	for _, tt := range tests {
		_, errText, code := runCLI(t, append([]string{"quantize"}, tt.args...)...)
		if code != 1 || !strings.Contains(errText, tt.want) {
			t.Errorf("%s: exit %d, stderr %q, want %q", tt.name, code, errText, tt.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("failed runs left files: %v", entries)
	}
}
