package quantize

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/internal/testdata"
	"github.com/retrollama/retrollama/kernels"
)

// TestChooseGroupSizesStories260K: on the real stories260K, the default
// bound keeps every dim-wide matrix in groups of 64 (one scale per row)
// and w2 in groups of 172; a tighter bound gives smaller groups, each
// still a divisor of its input width, and every choice is the largest
// divisor within the bound (the next larger one exceeds it somewhere).
func TestChooseGroupSizesStories260K(t *testing.T) {
	ck, err := checkpoint.Open(testdata.Path(t, "models", "stories260K.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	gs, err := ChooseGroupSizes(ck, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := checkpoint.GroupSizes{TokenEmbedding: 64, WQ: 64, WK: 64, WV: 64, WO: 64, W1: 64, W2: 172, W3: 64, Classifier: 64}
	if gs != want {
		t.Fatalf("default group sizes %v, want %v", gs, want)
	}
	w := &ck.Weights
	for _, bound := range []float64{0.008, 0.006, 0.004} {
		gs, err := ChooseGroupSizes(ck, bound)
		if err != nil {
			t.Fatal(err)
		}
		if err := ck.Config.CheckGroupSizes(gs, true); err != nil {
			t.Fatalf("bound %g: %v", bound, err)
		}
		for _, k := range []struct {
			name string
			ms   [][]float32
			cols int
			gs   int
		}{{"wq", f32s(w.WQ), 64, gs.WQ}, {"w2", f32s(w.W2), 172, gs.W2}, {"token_embedding", f32s([]kernels.Tensor{w.TokenEmbedding}), 64, gs.TokenEmbedding}} {
			worst := func(g int) float64 {
				var e float64
				for _, m := range k.ms {
					r, err := relError(m, g)
					if err != nil {
						t.Fatal(err)
					}
					e = max(e, r)
				}
				return e
			}
			if e := worst(k.gs); e > bound {
				t.Errorf("bound %g: %s in groups of %d has relative error %g", bound, k.name, k.gs, e)
			}
			for g := k.gs + 1; g <= k.cols; g++ {
				if k.cols%g == 0 && worst(g) <= bound {
					t.Errorf("bound %g: %s chose %d but %d is within the bound too", bound, k.name, k.gs, g)
				}
			}
		}
	}
	if _, err := ChooseGroupSizes(ck, -1); err == nil || !strings.Contains(err.Error(), "must be positive") {
		t.Errorf("negative bound: %v", err)
	}
}

// TestFilePerMatrix: FilePerMatrix writes a version 3 file that loads
// with the chosen group sizes, whose matrices are QuantizePerMatrix's and
// whose statistics are within the bound; it refuses a Q8_0 input.
func TestFilePerMatrix(t *testing.T) {
	in := testdata.Path(t, "models", "stories260K.bin")
	out := filepath.Join(t.TempDir(), "pm.bin")
	st, err := FilePerMatrix(in, out, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.GroupSize != 0 || st.GroupSizes.W2 != 172 || st.MaxRelError > DefaultMaxRelError || st.MaxRelError <= 0 || st.WorstRelTensor == "" {
		t.Fatalf("Stats %+v", st)
	}
	got, err := checkpoint.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	if got.Format != checkpoint.FormatQ8PerMatrix || got.GroupSizes != st.GroupSizes {
		t.Fatalf("wrote format %v group sizes %v, want per matrix %v", got.Format, got.GroupSizes, st.GroupSizes)
	}
	fp, err := checkpoint.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer fp.Close()
	q, _, err := QuantizePerMatrix(fp, st.GroupSizes, nil)
	if err != nil {
		t.Fatal(err)
	}
	for l := range q.W2 {
		for i, v := range q.W2[l].Q8 {
			if got.Weights.W2[l].Q8[i] != v {
				t.Fatalf("w2[%d] value %d differs from QuantizePerMatrix's", l, i)
			}
		}
		for i, s := range q.W2[l].Scales {
			if math.Float32bits(got.Weights.W2[l].Scales[i]) != math.Float32bits(s) {
				t.Fatalf("w2[%d] scale %d differs from QuantizePerMatrix's", l, i)
			}
		}
	}
	if _, err := FilePerMatrix(out, filepath.Join(t.TempDir(), "again.bin"), 0, nil); err == nil || !strings.Contains(err.Error(), "already Q8_0") {
		t.Errorf("quantizing a Q8_0 file again: %v", err)
	}
}

// f32s lists the values of fp32 tensors.
func f32s(ts []kernels.Tensor) [][]float32 {
	out := make([][]float32, len(ts))
	for i, t := range ts {
		out[i] = t.F32
	}
	return out
}
