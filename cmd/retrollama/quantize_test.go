package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/testdata"
)

// TestQuantizeCommand: both formats on the real stories260K report the
// group sizes, the errors and the greedy agreement with the fp32 model;
// the per-matrix file then runs, and its format is named; --agree 0 says
// the agreement was not measured rather than leaving it out.
func TestQuantizeCommand(t *testing.T) {
	in := testdata.Path(t, "models", "stories260K.bin")
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"runq format", []string{"quantize", in, filepath.Join(dir, "q8.bin")},
			[]string{"Q8_0, group size 4\n", "max relative RMS error", `against the fp32 model, from BOS: \d+ of 256 greedy tokens agree \(first difference at token \d+\); profile \w+`}},
		{"per matrix", []string{"quantize", "--format", "q8_0-per-matrix", in, filepath.Join(dir, "pm.bin")},
			[]string{"Q8_0 per matrix \\(retrollama's format; runq.c does not read it\\), group sizes token_embedding 64, wq 64, .*w2 172", `\d+ of 256 greedy tokens agree`}},
		{"no agreement", []string{"quantize", "--agree", "0", in, filepath.Join(dir, "q8b.bin")},
			[]string{"against the fp32 model: not compared \\(--agree 0\\)"}},
	} {
		out, errText, code := runCLI(t, c.args...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", c.name, code, errText)
		}
		for _, w := range c.want {
			if !regexp.MustCompile(w).MatchString(out) {
				t.Errorf("%s: stdout lacks %q:\n%s", c.name, w, out)
			}
		}
	}
	out, errText, code := runCLI(t, "run", filepath.Join(dir, "pm.bin"), "-z", testdata.Path(t, "models", "tokenizer.bin"), "-t", "0", "-n", "16")
	if code != 0 || len(strings.TrimSpace(out)) == 0 {
		t.Fatalf("run on the per-matrix file: exit %d, stdout %q: %s", code, out, errText)
	}
}
