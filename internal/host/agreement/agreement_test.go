package agreement

import (
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/internal/host/quantize"
	"github.com/retrollama/retrollama/internal/host/synthetic"
	"github.com/retrollama/retrollama/internal/testdata"
)

// TestGreedy: a model agrees with itself everywhere; stories260K's
// runq.c-format Q8_0 export (llama2.c's own file) agrees on most but not
// all of 256 tokens, and Prefix never exceeds Agree; steps beyond the
// context are capped; models of different shapes are refused.
func TestGreedy(t *testing.T) {
	fp, err := checkpoint.Open(testdata.Path(t, "models", "stories260K.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer fp.Close()
	q8, err := checkpoint.Open(testdata.Path(t, "models", "stories260K_q80_gs4.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer q8.Close()
	self, err := Greedy(fp, fp, 64, nil)
	if err != nil {
		t.Fatal(err)
	}
	if self != (Result{Steps: 64, Agree: 64, Prefix: 64}) || !strings.Contains(self.String(), "no difference") {
		t.Errorf("self agreement %+v %q", self, self)
	}
	r, err := Greedy(fp, q8, 256, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Steps != 256 || r.Agree < 200 || r.Agree == 256 || r.Prefix > r.Agree || r.Prefix == r.Steps {
		t.Errorf("q8_0 gs 4 against fp32: %+v", r)
	}
	if !strings.Contains(r.String(), "first difference at token") {
		t.Errorf("String() = %q", r)
	}
	long, err := Greedy(fp, fp, 10*fp.Config.SeqLen, nil)
	if err != nil || long.Steps != fp.Config.SeqLen {
		t.Errorf("steps beyond the context: %+v, %v", long, err)
	}
	tiny := checkpoint.Config{Dim: 8, HiddenDim: 16, Layers: 1, Heads: 2, KVHeads: 2, VocabSize: 16, SeqLen: 4}
	s15, err := synthetic.Q8FromConfig(tiny, 1, quantize.ChooseGroupSize(tiny))
	if err != nil {
		t.Fatal(err)
	}
	defer s15.Close()
	if _, err := Greedy(fp, s15, 4, nil); err == nil || !strings.Contains(err.Error(), "agreement") {
		t.Errorf("different shapes: %v", err)
	}
}
