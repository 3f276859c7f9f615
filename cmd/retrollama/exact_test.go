package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/internal/host/model"
	"github.com/retrollama/retrollama/internal/host/quantize"
	"github.com/retrollama/retrollama/internal/host/synthetic"
	"github.com/retrollama/retrollama/internal/raceflag"
	"github.com/retrollama/retrollama/internal/testdata"
)

// exactPositions is how many positions TestProfilesExactOnShapes runs
// each model for: past the first few, where attention has rows to weigh.
const exactPositions = 16

// exactShape is one model shape TestProfilesExactOnShapes runs.
type exactShape struct {
	name string
	cfg  checkpoint.Config
	// large shapes run only without -race: the reference alone takes
	// seconds per position there.
	large bool
}

// exactShapes are the shapes every profile must run bit-identically to
// the reference: stories260K's grouped-query attention (8 query heads on
// 4 KV heads); an odd one whose widths are no multiple of 8 or 16 (dim 84,
// head size 14, hidden 220, 3 query heads per KV head, vocabulary 333),
// so every SIMD loop has a tail; and stories15M, whose Q8_0 group size 32
// takes the AVX2 Q8_0 path the golden models' group size 4 never does.
func exactShapes() []exactShape {
	s260, _ := checkpoint.ShapeOf("stories260K")
	s15, _ := checkpoint.ShapeOf("stories15M")
	return []exactShape{
		{"stories260K gqa 8-4", s260, false},
		{"odd dim=84 hs=14 gqa 6-2", checkpoint.Config{Dim: 84, HiddenDim: 220, Layers: 2, Heads: 6, KVHeads: 2, VocabSize: 333, SeqLen: 48}, false},
		{"stories15M", s15, true},
	}
}

// TestProfilesExactOnShapes: on synthetic models of several shapes, fp32
// and Q8_0 (quantize's group size for the shape), every profile of the
// shipped kernels.hcl at one and two threads per op computes logits
// bit-identical to the reference profile's at each of exactPositions
// positions, and logs no warning (no provider falls back or is passed
// over). This is the golden test (TestGoldenRun) for shapes that
// ../shared has no llama2.c output for. Each runs from the heap and
// memory-mapped from a file (where native providers copy weights into
// panels). Under -race stories15M is left out, only two threads run, and
// profiles with a WASM or plugin provider run from the heap only.
func TestProfilesExactOnShapes(t *testing.T) {
	kernelsFile, profiles := shippedKernels(t)
	profiles = runnable(t, profiles)
	threads := []int{1, 2}
	if raceflag.Enabled {
		threads = []int{2}
	}
	for _, sh := range exactShapes() {
		if sh.large && (raceflag.Enabled || testing.Short()) {
			t.Logf("%s: skipped under -race and -short", sh.name)
			continue
		}
		for _, q := range []quant{fp32, q8File, q8PerMatrix} {
			name := sh.name + " fp32"
			switch q {
			case q8File:
				name = fmt.Sprintf("%s q8_0 gs=%d", sh.name, quantize.ChooseGroupSize(sh.cfg))
			case q8PerMatrix:
				name = sh.name + " q8_0 per matrix"
			}
			t.Run(name, func(t *testing.T) {
				heap := exactModel(t, sh.cfg, q)
				// The same model memory-mapped from a file: native
				// providers then copy its weights into panels
				// (kernels.Tensor.Release), on the heap they do not.
				mapped := mappedCopy(t, heap)
				want := forwardLogits(t, heap, kernelsFile, "reference", 1)
				for _, p := range profiles {
					for _, n := range threads {
						for _, m := range []struct {
							name string
							ck   *checkpoint.Checkpoint
						}{{"heap", heap}, {"mapped", mapped}} {
							if p.name == "reference" && n == 1 && m.name == "heap" {
								continue
							}
							if m.name == "mapped" && p.boundary && raceflag.Enabled {
								continue // its weights are copied across the boundary either way; under -race the time goes to native profiles
							}
							t.Run(fmt.Sprintf("%s/threads=%d/%s", p.name, n, m.name), func(t *testing.T) {
								got := forwardLogits(t, m.ck, kernelsFile, p.name, n)
								for pos := range got {
									if i := firstBitDiff(got[pos], want[pos]); i >= 0 {
										t.Fatalf("position %d: logit %d is %g (0x%08x), the reference's %g (0x%08x)",
											pos, i, got[pos][i], math.Float32bits(got[pos][i]), want[pos][i], math.Float32bits(want[pos][i]))
									}
								}
							})
						}
					}
				}
			})
		}
	}
}

// runnable returns the profiles that can run here, logging why each
// other one is skipped.
func runnable(t *testing.T, profiles []shippedProfile) []shippedProfile {
	t.Helper()
	var out []shippedProfile
	for _, p := range profiles {
		if p.skip != "" {
			t.Logf("profile %s skipped: %s", p.name, p.skip)
			continue
		}
		out = append(out, p)
	}
	return out
}

// quant is how exactModel stores a model's matrices.
type quant int

const (
	fp32        quant = iota
	q8File            // runq.c's Q8_0, quantize's one group size for the shape
	q8PerMatrix       // Q8_0 per matrix: groups as wide as each matrix's rows (random weights stay within the error bound)
)

// exactModel builds the synthetic model of cfg, stored as q says; closed
// when t ends.
func exactModel(t *testing.T, cfg checkpoint.Config, q quant) *checkpoint.Checkpoint {
	t.Helper()
	const seed = 16
	var ck *checkpoint.Checkpoint
	var err error
	switch q {
	case q8File:
		ck, err = synthetic.Q8FromConfig(cfg, seed, quantize.ChooseGroupSize(cfg))
	case q8PerMatrix:
		var f *checkpoint.Checkpoint
		if f, err = synthetic.FromConfig(cfg, seed); err == nil {
			ck, _, err = quantize.ModelPerMatrix(f, 0)
			f.Close()
		}
	default:
		ck, err = synthetic.FromConfig(cfg, seed)
	}
	if err != nil {
		t.Fatal(err)
	}
	if q == q8PerMatrix && ck.GroupSizes.W2 != cfg.HiddenDim {
		t.Fatalf("per-matrix group sizes %v: want whole rows on random weights (w2 %d)", ck.GroupSizes, cfg.HiddenDim)
	}
	t.Cleanup(func() { ck.Close() })
	return ck
}

// mappedCopy writes ck to a file in its format (llama2.c's legacy one,
// or runq.c's for Q8_0) and opens it, memory-mapped; closed when t ends.
func mappedCopy(t *testing.T, ck *checkpoint.Checkpoint) *checkpoint.Checkpoint {
	t.Helper()
	path := filepath.Join(t.TempDir(), "model.bin")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case ck.Format == checkpoint.FormatQ8PerMatrix:
		err = checkpoint.WriteQ8PerMatrix(f, ck.Config, ck.SharedClassifier, ck.GroupSizes, &ck.Weights)
	case ck.Format == checkpoint.FormatQ8:
		err = checkpoint.WriteQ8(f, ck.Config, ck.SharedClassifier, ck.GroupSize, &ck.Weights)
	default:
		err = checkpoint.Write(f, checkpoint.FormatLegacy, ck.Config, ck.SharedClassifier, &ck.Weights)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	m, err := checkpoint.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// forwardLogits runs exactPositions positions of ck on a profile of the
// kernels file at threads per op, feeding a fixed token sequence, and
// returns a copy of the logits at each. Any warning the engine logs
// (a provider passed over or falling back) fails t.
func forwardLogits(t *testing.T, ck *checkpoint.Checkpoint, kernelsFile, profile string, threads int) [][]float32 {
	t.Helper()
	var logs bytes.Buffer
	logger := hclog.New(&hclog.LoggerOptions{Name: "retrollama", Output: &logs, Level: hclog.Warn})
	k := kernelFlags{file: kernelsFile, profile: profile, threads: threads}
	ops, _, err := k.table(ck.Config, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer ops.Close()
	m, err := model.New(ck, ops)
	if err != nil {
		t.Fatal(err)
	}
	positions := min(exactPositions, ck.Config.SeqLen)
	out := make([][]float32, positions)
	token := 1 // BOS
	for pos := range positions {
		logits, err := m.Forward(token, pos)
		if err != nil {
			t.Fatalf("%s: position %d: %v", profile, pos, err)
		}
		out[pos] = append([]float32(nil), logits...)
		token = (pos*7919 + 13) % ck.Config.VocabSize // a fixed sequence, the same for every profile
	}
	if logs.Len() > 0 {
		t.Errorf("%s logged:\n%s", profile, logs.String())
	}
	return out
}

// firstBitDiff returns the first index where a and b differ bit for bit,
// or -1.
func firstBitDiff(a, b []float32) int {
	for i := range b {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

// TestChatExactAcrossProfiles: chat mode (-m chat, sampled, several
// turns read from stdin) on the golden stories260K prints the same bytes
// on every profile of the shipped kernels.hcl, at one and two threads
// (two only under -race), as on the reference, and nothing on stderr (no
// fallback warning).
func TestChatExactAcrossProfiles(t *testing.T) {
	kernelsFile, profiles := shippedKernels(t)
	model := testdata.Path(t, "models", "stories260K.bin")
	tok := testdata.Path(t, "models", "tokenizer.bin")
	if _, err := os.Stat(model); err != nil {
		t.Skipf("no golden model: %v", err)
	}
	const stdin = "You are a storyteller.\nTell me about a cat.\nAnd then?\nThe end.\n"
	chat := func(t *testing.T, profile string, threads int) (string, string) {
		t.Helper()
		args := []string{"run", model, "-z", tok, "-m", "chat", "-t", "0.8", "-p", "0.9", "-s", "7", "-n", "512",
			"--kernels", kernelsFile, "--profile", profile, "--threads", strconv.Itoa(threads)}
		var stdout, stderr bytes.Buffer
		if code := runMain(args, strings.NewReader(stdin), &stdout, &stderr); code != 0 {
			t.Fatalf("%s: exit %d: %s", profile, code, stderr.String())
		}
		return stdout.String(), stderr.String()
	}
	want, wantErr := chat(t, "reference", 1)
	if wantErr != "" {
		t.Fatalf("the reference's chat wrote to stderr: %q", wantErr) // chat mode prints no tok/s line
	}
	if strings.Count(want, "Assistant: ") < 2 {
		t.Fatalf("the reference's chat has fewer than two turns:\n%s", want)
	}
	threads := []int{1, 2}
	if raceflag.Enabled {
		threads = []int{2}
	}
	for _, p := range runnable(t, profiles) {
		for _, n := range threads {
			t.Run(fmt.Sprintf("%s/threads=%d", p.name, n), func(t *testing.T) {
				t.Parallel()
				got, errText := chat(t, p.name, n)
				if got != want {
					t.Errorf("differs from the reference's at byte %d\n got: %q\nwant: %q", firstDiff([]byte(got), []byte(want)), got, want)
				}
				if errText != wantErr {
					t.Errorf("stderr = %q, want %q as the reference's", errText, wantErr)
				}
			})
		}
	}
}
