package main

import (
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/internal/host/quantize"
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
		gotRow, wantRow := make([]float32, want.Config.Dim), make([]float32, want.Config.Dim)
		got.Embedding(gotRow, 5)
		want.Embedding(wantRow, 5)
		if !slices.Equal(gotRow, wantRow) {
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

// TestSyntheticAllocation bounds the memory the built-in models take to
// build, counting every byte allocated (MemStats.TotalAlloc, which bounds
// the peak): stories15M is its one fp32 backing store, and stories15M-q8
// only its Q8_0 weights (int8 values, a float32 scale per group, the
// float32 RMS-norm vectors); the token embedding is dequantized a row at
// a time (runq.c dequantizes it whole: 37 MB more). Holding the fp32
// model on the way, as quantizing
// synthetic.Model with quantize.Model would (143 MB allocated in all,
// with an encoded copy), does not fit the ~98 MB a program gets on the
// emulated 128 MB Pentium II, so this fails if it comes back.
func TestSyntheticAllocation(t *testing.T) {
	cfg, _ := checkpoint.ShapeOf("stories15M")
	dim, hid, layers, vocab := int64(cfg.Dim), int64(cfg.HiddenDim), int64(cfg.Layers), int64(cfg.VocabSize)
	kv := int64(cfg.KVDim())
	matrices := vocab*dim + layers*(2*dim*dim+2*kv*dim+3*hid*dim) // values in the matrices
	rms := (2*layers + 1) * dim
	gs := int64(quantize.ChooseGroupSize(cfg))
	tests := []struct {
		name string
		want int64 // bytes the model must hold
	}{
		{"stories15M", 4 * (matrices + rms)},
		{"stories15M-q8", matrices + 4*matrices/gs + 4*rms},
	}
	// Slice headers, goroutines, work lists and up to four 256 KiB scratch
	// buffers: measured at 25 kB (fp32) and 0.6 MB (q8, two workers) on
	// amd64.
	const slack = 2 << 20
	for _, tt := range tests {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		ck, err := syntheticModel(tt.name)
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		got := int64(after.TotalAlloc - before.TotalAlloc)
		t.Logf("%s: allocated %d bytes (%.1f MB); the model holds %d (%.1f MB)", tt.name, got, float64(got)/1e6, tt.want, float64(tt.want)/1e6)
		if got < tt.want || got > tt.want+slack {
			t.Errorf("%s: allocated %d bytes building it, want the %d it holds plus at most %d", tt.name, got, tt.want, slack)
		}
		runtime.KeepAlive(ck)
	}
}

// TestSyntheticFits: a synthetic model built in RAM must fit in 80% of the
// available memory, weights and KV cache together, and within
// synthetic.MaxBytes of weights whatever the memory; a refusal
// is one line that says how to get the model instead.
func TestSyntheticFits(t *testing.T) {
	const gb = int64(1e9)
	tests := []struct {
		name  string
		avail int64
		known bool
		want  string // "" when it fits
	}{
		{"tinyllama-1.1B", 24 * gb, true, ""},   // 4.1 GB + 0.1 GB of KV cache
		{"tinyllama-1.1B-q8", 2 * gb, true, ""}, // 1.1 GB
		{"tinyllama-1.1B", 5 * gb, true, "more than 80% of the 5.0 GB available"},
		{"llama2-7B-q8", 24 * gb, true, ""}, // 7.2 GB + 4.3 GB
		{"llama2-7B-q8", 12 * gb, true, "more than 80%"},
		{"llama2-7B", 24 * gb, true, "needs 30.7 GB of RAM (26.4 GB of weights, 4.3 GB of KV cache)"},
		{"llama2-7B", 0, false, "more than the 8.6 GB of weights this build makes in memory"},
		{"stories15M", 0, false, ""},
	}
	for _, tt := range tests {
		base, cfg, q8, err := splitSyntheticName(tt.name)
		if err != nil {
			t.Fatal(err)
		}
		gs := 0
		if q8 {
			gs = quantize.ChooseGroupSize(cfg)
		}
		err = checkSyntheticFits(tt.name, cfg, gs, tt.avail, tt.known)
		if tt.want == "" {
			if err != nil {
				t.Errorf("%s in %d bytes: %v", tt.name, tt.avail, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") ||
			!strings.Contains(err.Error(), `"retrollama synthetic `+tt.name+` FILE"`) {
			t.Errorf("%s (%s) in %d bytes: %v, want one line mentioning %q", tt.name, base, tt.avail, err, tt.want)
		}
	}
}

// TestRunSyntheticTooLarge: "run --synthetic llama2-7B" (26 GB of fp32
// weights) is refused at once with that line, on any machine, instead of
// running out of memory.
func TestRunSyntheticTooLarge(t *testing.T) {
	_, stderr, code := runCLI(t, "run", "--synthetic", "llama2-7B", "-n", "2")
	if code != 1 || !strings.Contains(stderr, `write it to a file with "retrollama synthetic llama2-7B FILE"`) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// TestSyntheticUsageListsShapes: the help names every shape of the table.
func TestSyntheticUsageListsShapes(t *testing.T) {
	out, _, code := runCLI(t, "synthetic", "-h")
	for _, name := range checkpoint.KnownShapes() {
		if code != 0 || !strings.Contains(out, name) {
			t.Errorf("synthetic -h (exit %d) lacks %s:\n%s", code, name, out)
		}
	}
}
