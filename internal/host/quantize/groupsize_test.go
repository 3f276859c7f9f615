package quantize

import (
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/host/checkpoint"
)

// TestChooseGroupSize checks the choice on the tinyllamas shapes, where
// export.py's dim-only check would pick 64 for stories260K and stories42M
// and write unusable files.
func TestChooseGroupSize(t *testing.T) {
	tests := []struct {
		shape string
		want  int
	}{
		{"stories260K", 4}, {"stories15M", 32}, {"stories42M", 32}, {"stories110M", 64},
	}
	for _, tt := range tests {
		cfg, ok := checkpoint.ShapeOf(tt.shape)
		if !ok {
			t.Fatalf("unknown shape %s", tt.shape)
		}
		if got := ChooseGroupSize(cfg); got != tt.want {
			t.Errorf("ChooseGroupSize(%s) = %d, want %d", tt.shape, got, tt.want)
		}
		if err := CheckGroupSize(cfg, tt.want); err != nil {
			t.Errorf("CheckGroupSize(%s, %d) = %v", tt.shape, tt.want, err)
		}
	}
	odd := checkpoint.Config{Dim: 6, HiddenDim: 9, Layers: 1, Heads: 1, KVHeads: 1, VocabSize: 2, SeqLen: 2}
	if got := ChooseGroupSize(odd); got != 1 {
		t.Errorf("ChooseGroupSize(%v) = %d, want 1", odd, got)
	}
}

// TestCheckGroupSize checks the errors, which must name group_size and
// the dimension it fails.
func TestCheckGroupSize(t *testing.T) {
	s260, _ := checkpoint.ShapeOf("stories260K")
	s15, _ := checkpoint.ShapeOf("stories15M")
	tests := []struct {
		cfg  checkpoint.Config
		gs   int
		want string
	}{
		{s260, 64, "group_size = 64 does not divide hidden_dim = 172"},
		{s15, 64, "group_size = 64 does not divide dim = 288"},
		{s15, 0, "group_size = 0 must be positive"},
		{s15, -32, "group_size = -32 must be positive"},
	}
	for _, tt := range tests {
		err := CheckGroupSize(tt.cfg, tt.gs)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("CheckGroupSize(%v, %d) = %v, want one line mentioning %q", tt.cfg, tt.gs, err, tt.want)
		}
	}
}
