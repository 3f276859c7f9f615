package quantize

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/atomicfile"
	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/internal/host/synthetic"
	"github.com/retrollama/retrollama/internal/testdata"
	"github.com/retrollama/retrollama/kernels"
)

// TestFileStories260K quantizes the real fp32 stories260K with group size
// 4 and compares the result with llama2.c's own export of it: same size,
// same header and RMS weights byte for byte, int8 values within ±1 (≥
// 99.9% identical) and scales within one ulp, reported for diagnosis;
// and finally the whole file byte for byte, which is what we measured.
func TestFileStories260K(t *testing.T) {
	in := testdata.Path(t, "models", "stories260K.bin")
	refPath := testdata.Path(t, "models", "stories260K_q80_gs4.bin")
	out := filepath.Join(t.TempDir(), "q80.bin")
	st, err := File(in, out, 4)
	if err != nil {
		t.Fatal(err)
	}
	if st.GroupSize != 4 || st.MaxError <= 0 || st.WorstTensor == "" {
		t.Errorf("Stats %+v", st)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := os.ReadFile(refPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ref) {
		t.Fatalf("wrote %d bytes, llama2.c's export has %d", len(got), len(ref))
	}
	if !bytes.Equal(got[:256], ref[:256]) {
		t.Fatalf("header differs:\n got %x\nwant %x", got[:48], ref[:48])
	}
	ours, err := checkpoint.Parse(out, got)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := checkpoint.Parse(refPath, ref)
	if err != nil {
		t.Fatal(err)
	}
	if ours.Format != checkpoint.FormatQ8 || ours.GroupSize != 4 || !ours.SharedClassifier {
		t.Fatalf("output: format %v group size %d shared %v", ours.Format, ours.GroupSize, ours.SharedClassifier)
	}
	rmsEnd := 256 + 4*(2*ours.Config.Layers+1)*ours.Config.Dim
	if !bytes.Equal(got[256:rmsEnd], ref[256:rmsEnd]) {
		t.Error("RMS-norm weights differ from llama2.c's export")
	}
	var values, same, scales, ulps int
	a, b := &ours.Weights, &theirs.Weights
	all := func(q *checkpoint.Weights) []kernels.Tensor {
		ms := []kernels.Tensor{q.TokenEmbedding}
		for _, ls := range [][]kernels.Tensor{q.WQ, q.WK, q.WV, q.WO, q.W1, q.W2, q.W3} {
			ms = append(ms, ls...)
		}
		return ms
	}
	bm := all(b)
	for k, m := range all(a) {
		for i, q := range m.Q8 {
			values++
			switch d := int(q) - int(bm[k].Q8[i]); {
			case d == 0:
				same++
			case d < -1 || d > 1:
				t.Fatalf("matrix %d value %d: %d, llama2.c has %d", k, i, q, bm[k].Q8[i])
			}
		}
		for i, s := range m.Scales {
			scales++
			d := int64(math.Float32bits(s)) - int64(math.Float32bits(bm[k].Scales[i]))
			if d < -1 || d > 1 {
				t.Fatalf("matrix %d scale %d: %v, llama2.c has %v", k, i, s, bm[k].Scales[i])
			}
			if d != 0 {
				ulps++
			}
		}
	}
	t.Logf("%d of %d int8 values identical to llama2.c's export (%d differ by 1); %d of %d scales differ by 1 ulp; max error %g in %s",
		same, values, values-same, ulps, scales, st.MaxError, st.WorstTensor)
	if float64(same) < 0.999*float64(values) {
		t.Errorf("only %d of %d values match llama2.c's export", same, values)
	}
	// Measured: every byte matches (float32 division and ties-to-even
	// rounding are exact IEEE operations, as in torch), so hold to that.
	if !bytes.Equal(got, ref) {
		t.Error("output is not byte-identical to llama2.c's export")
	}
}

// TestFileRefusesInput checks that File never writes over its input, by
// the same path spelled differently or through a link, and leaves it
// intact.
func TestFileRefusesInput(t *testing.T) {
	dir := t.TempDir()
	in := writeSynthetic(t, dir)
	before, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.bin")
	if err := os.Link(in, link); err != nil {
		t.Logf("no hard link: %v", err)
		link = in
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(wd, in)
	if err != nil {
		rel = in
	}
	for _, out := range []string{in, filepath.Join(dir, ".", "sub", "..", "model.bin"), rel, link} {
		if _, err := File(in, out, 4); err == nil || !strings.Contains(err.Error(), "is the same file as the input") {
			t.Errorf("File(%s, %s) = %v, want a refusal", in, out, err)
		}
	}
	after, err := os.ReadFile(in)
	if err != nil || !bytes.Equal(before, after) {
		t.Fatalf("input changed (%v)", err)
	}
}

// TestFileFailures checks that a failed File leaves no output and no
// temporary file behind, and does not touch an existing output.
func TestFileFailures(t *testing.T) {
	dir := t.TempDir()
	in := writeSynthetic(t, dir)
	garbage := filepath.Join(dir, "garbage.bin")
	if err := os.WriteFile(garbage, []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, in string
		gs       int
		want     string
	}{
		{"group size not dividing hidden_dim", in, 64, "group_size = 64 does not divide hidden_dim = 172"},
		{"negative group size", in, -4, "group_size = -4 must be positive"},
		{"missing input", filepath.Join(dir, "nope.bin"), 4, "nope.bin"},
		{"broken input", garbage, 4, "garbage.bin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(dir, "out.bin")
			if _, err := File(tt.in, out, tt.gs); err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("File = %v, want one line mentioning %q", err, tt.want)
			}
			onlyInputs(t, dir)
		})
	}
	t.Run("missing output directory", func(t *testing.T) {
		if _, err := File(in, filepath.Join(dir, "no", "out.bin"), 4); err == nil {
			t.Fatal("no error")
		}
		onlyInputs(t, dir)
	})
	t.Run("write fails midway", func(t *testing.T) {
		out := filepath.Join(dir, "out.bin")
		if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("disk full")
		err := atomicfile.Write(out, func(w io.Writer) error {
			if _, err := w.Write(make([]byte, 1000)); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("atomicfile.Write = %v, want the write's error", err)
		}
		if b, err := os.ReadFile(out); err != nil || string(b) != "old" {
			t.Fatalf("existing output changed: %q, %v", b, err)
		}
		if err := os.Remove(out); err != nil {
			t.Fatal(err)
		}
		onlyInputs(t, dir)
	})
	t.Run("success replaces output", func(t *testing.T) {
		out := filepath.Join(dir, "out.bin")
		if err := os.WriteFile(out, []byte("old"), 0o640); err != nil {
			t.Fatal(err)
		}
		if _, err := File(in, out, 0); err != nil {
			t.Fatal(err)
		}
		ck, err := checkpoint.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		defer ck.Close()
		if ck.GroupSize != 4 {
			t.Errorf("gs 0 chose group size %d, want 4 for stories260K's shape", ck.GroupSize)
		}
		if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o640 {
			t.Errorf("output mode %v (%v), want the replaced file's 0640 kept", fi.Mode(), err)
		}
	})
}

// writeSynthetic writes the synthetic stories260K model to dir/model.bin.
func writeSynthetic(t *testing.T, dir string) string {
	t.Helper()
	ck, err := synthetic.Model("stories260K")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := checkpoint.Write(&buf, checkpoint.FormatV1, ck.Config, true, &ck.Weights); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "model.bin")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// onlyInputs fails if dir holds anything but the test's input files.
func onlyInputs(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		switch e.Name() {
		case "model.bin", "garbage.bin", "link.bin":
		default:
			t.Errorf("left %s behind", e.Name())
		}
	}
}
