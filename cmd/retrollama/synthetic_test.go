package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/host/checkpoint"
)

// TestSyntheticCommand: the written file loads back in the asked format
// with the built-in model's shape and weights; bad names, formats and
// paths are errors.
func TestSyntheticCommand(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, format string
		want         checkpoint.Format
	}{
		{"stories260K", "", checkpoint.FormatLegacy},
		{"stories260K", "v1", checkpoint.FormatV1},
		{"stories260K-q8", "", checkpoint.FormatQ8},
	}
	for _, tt := range tests {
		out := filepath.Join(dir, tt.name+tt.format+".bin")
		args := []string{"synthetic", tt.name, out}
		if tt.format != "" {
			args = append(args, "--format", tt.format)
		}
		stdout, stderr, code := runCLI(t, args...)
		if code != 0 || !strings.Contains(stdout, "wrote "+out) {
			t.Fatalf("%v: exit %d, %q %q", args, code, stdout, stderr)
		}
		got, err := checkpoint.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		want, err := syntheticModel(tt.name)
		if err != nil {
			t.Fatal(err)
		}
		if got.Format != tt.want || got.Config != want.Config || got.GroupSize != want.GroupSize {
			t.Errorf("%s: format %v config %v gs %d, want %v %v %d", out, got.Format, got.Config, got.GroupSize, tt.want, want.Config, want.GroupSize)
		}
		if !slices.Equal(got.Weights.TokenEmbedding, want.Weights.TokenEmbedding) {
			t.Errorf("%s: token embedding differs from the built-in model's", out)
		}
		got.Close()
	}
	for _, bad := range [][]string{
		{"synthetic", "stories1B", filepath.Join(dir, "x.bin")},
		{"synthetic", "stories260K", filepath.Join(dir, "y.bin"), "--format", "q4"},
		{"synthetic", "stories260K"},
		{"synthetic", "stories260K", filepath.Join(dir, "missing", "z.bin")},
	} {
		if _, stderr, code := runCLI(t, bad...); code == 0 || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q", bad, code, stderr)
		}
	}
}
