package quantize

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/kernels"
)

// TestModelIsTheFile: the in-memory Q8_0 model is exactly what File then
// checkpoint.Open give, for an unshared-classifier GQA model and with the
// group size chosen automatically.
func TestModelIsTheFile(t *testing.T) {
	ck := gqaUnshared(t)
	mem, st, err := Model(ck, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := ChooseGroupSize(ck.Config)
	if mem.GroupSize != want || st.GroupSize != want || mem.Format != checkpoint.FormatQ8 || mem.Weights.WQ[0].DType != kernels.Q8_0 {
		t.Fatalf("Model: group size %d (stats %d, want %d), format %v", mem.GroupSize, st.GroupSize, want, mem.Format)
	}
	if !strings.HasSuffix(mem.Path, " q8_0 gs=16") {
		t.Errorf("Path %q", mem.Path)
	}
	in := filepath.Join(t.TempDir(), "in.bin")
	out := filepath.Join(t.TempDir(), "out.bin")
	var buf bytes.Buffer
	if err := checkpoint.Write(&buf, checkpoint.FormatV1, ck.Config, ck.SharedClassifier, &ck.Weights); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := File(in, out, 0); err != nil {
		t.Fatal(err)
	}
	disk, err := checkpoint.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer disk.Close()
	if mem.Config != disk.Config || mem.SharedClassifier != disk.SharedClassifier || mem.GroupSize != disk.GroupSize {
		t.Fatalf("header: memory %+v, file %+v", mem.Config, disk.Config)
	}
	if !slices.Equal(mem.Weights.TokenEmbedding.Q8, disk.Weights.TokenEmbedding.Q8) || !slices.Equal(mem.Weights.TokenEmbedding.Scales, disk.Weights.TokenEmbedding.Scales) {
		t.Error("token embeddings differ")
	}
	a, b := &mem.Weights, &disk.Weights
	pairs := []struct {
		name string
		a, b []kernels.Tensor
	}{
		{"wq", a.WQ, b.WQ}, {"wk", a.WK, b.WK}, {"wv", a.WV, b.WV}, {"wo", a.WO, b.WO},
		{"w1", a.W1, b.W1}, {"w2", a.W2, b.W2}, {"w3", a.W3, b.W3},
		{"classifier", []kernels.Tensor{a.Classifier}, []kernels.Tensor{b.Classifier}},
	}
	for _, p := range pairs {
		for l := range p.a {
			if !slices.Equal(p.a[l].Q8, p.b[l].Q8) || !slices.Equal(p.a[l].Scales, p.b[l].Scales) {
				t.Errorf("%s[%d] differs between memory and file", p.name, l)
			}
		}
	}
}

// TestModelRejects: Model reports what Quantize reports, naming the model.
func TestModelRejects(t *testing.T) {
	ck := gqaUnshared(t)
	if _, _, err := Model(ck, 5); err == nil || !strings.Contains(err.Error(), "synthetic:") {
		t.Errorf("group size 5: %v", err)
	}
	q, _, err := Model(ck, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Model(q, 0); err == nil || !strings.Contains(err.Error(), "already Q8_0") {
		t.Errorf("quantizing a Q8_0 model: %v", err)
	}
	if _, _, err := Model(nil, 0); err == nil {
		t.Error("nil checkpoint accepted")
	}
}
