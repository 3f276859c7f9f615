package ops

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

func TestQ8GroupSize(t *testing.T) {
	for name, want := range map[string]int{"stories260K": 4, "stories15M": 32, "stories42M": 32, "stories110M": 64, "tinyllama-1.1B": 64, "llama2-7B": 64} {
		c, _ := checkpoint.ShapeOf(name)
		if got := Q8GroupSize(c); got != want {
			t.Errorf("%s: group size %d, want %d", name, got, want)
		}
	}
}

func TestSweepModels(t *testing.T) {
	if got := strings.Join(SweepModels(), ","); got != "stories260K,stories15M,stories42M,stories110M" {
		t.Errorf("SweepModels() = %s", got)
	}
}

func TestMatMulCases(t *testing.T) {
	c, _ := checkpoint.ShapeOf("stories260K") // grouped-query: wk is narrower
	var got []string
	for _, m := range MatMulCases(c) {
		got = append(got, m.Name)
	}
	if strings.Join(got, " ") != "wq wk w1 w2 classifier" {
		t.Errorf("stories260K cases %v", got)
	}
	c, _ = checkpoint.ShapeOf("stories15M")
	if n := len(MatMulCases(c)); n != 4 {
		t.Errorf("stories15M: %d cases, want 4 (no separate wk)", n)
	}
	c, _ = checkpoint.ShapeOf("tinyllama-1.1B") // 32 query heads on 4 KV heads
	want := []MatMulCase{{"wq", 2048, 2048}, {"wk", 256, 2048}, {"w1", 5632, 2048}, {"w2", 2048, 5632}, {"classifier", 32000, 2048}}
	if got := MatMulCases(c); !slices.Equal(got, want) {
		t.Errorf("tinyllama-1.1B cases %v, want %v", got, want)
	}
}

// TestSweep: one result per shape and dtype, with the work counted
// (a Q8_0 matmul reads a quarter of the fp32 bytes, plus scales).
func TestSweep(t *testing.T) {
	res, err := Sweep("scalar", func() (kernels.Provider, error) { return scalar.New(), nil },
		[]string{"stories260K"}, []kernels.DType{kernels.F32, kernels.Q8_0}, time.Microsecond)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 10 {
		t.Fatalf("%d results, want 5 shapes × 2 dtypes", len(res))
	}
	for i := 0; i < len(res); i += 2 {
		f, q := res[i], res[i+1]
		if f.DType != "f32" || q.DType != "q8_0" || f.Case != q.Case || !strings.HasPrefix(f.Case, "stories260K ") {
			t.Fatalf("results %d, %d: %+v %+v", i, i+1, f, q)
		}
		bytesF, bytesQ := f.GBs*f.PerCall.Seconds(), q.GBs*q.PerCall.Seconds()
		if r := bytesQ / bytesF; r < 0.25 || r > 0.6 {
			t.Errorf("%s: q8_0 counts %.2f of the f32 bytes", f.Case, r)
		}
	}
	if _, err := Sweep("scalar", func() (kernels.Provider, error) { return scalar.New(), nil },
		[]string{"stories7B"}, []kernels.DType{kernels.F32}, time.Microsecond); err == nil || !strings.Contains(err.Error(), "stories7B") {
		t.Errorf("unknown model: %v", err)
	}
}
