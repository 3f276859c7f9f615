package ops

import (
	"strings"
	"testing"
	"time"

	"github.com/retrollama/retrollama/internal/host/synthetic"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// f32Only is the scalar provider declining every Q8_0 use, so that some
// steps are skipped.
type f32Only struct{ kernels.Provider }

func (p f32Only) Supports(q kernels.Query) kernels.Support {
	if q.DType == kernels.Q8_0 {
		return kernels.Support{Reason: "f32 only"}
	}
	return p.Provider.Supports(q)
}

// recorder checks the Progress contract as calls arrive.
type recorder struct {
	t     *testing.T
	total int
	calls []int
	whats []string
}

func (r *recorder) progress(done, total int, what string) {
	r.t.Helper()
	if total != r.total {
		r.t.Errorf("call %d: total %d, want %d", len(r.calls)+1, total, r.total)
	}
	if want := len(r.calls) + 1; done != want {
		r.t.Errorf("call %d: done %d, want %d (one more than the last)", want, done, want)
	}
	r.calls = append(r.calls, done)
	r.whats = append(r.whats, what)
}

// check requires the last call to reach total.
func (r *recorder) check() {
	r.t.Helper()
	if len(r.calls) != r.total || len(r.calls) > 0 && r.calls[len(r.calls)-1] != r.total {
		r.t.Errorf("%d progress calls ending at %v, want %d ending at total", len(r.calls), r.calls[max(len(r.calls)-1, 0):], r.total)
	}
}

func TestSweepProgress(t *testing.T) {
	models := []string{"stories260K", "stories15M"}
	dtypes := []kernels.DType{kernels.F32, kernels.Q8_0}
	per, err := SweepSteps(models, dtypes)
	if err != nil {
		t.Fatal(err)
	}
	if per != (5+4)*2 { // stories260K has a separate wk
		t.Fatalf("SweepSteps = %d, want 18", per)
	}
	tests := []struct {
		name      string
		providers []Named
		results   int
		skipped   int
	}{
		{"one", []Named{{"scalar", func() (kernels.Provider, error) { return scalar.New(), nil }}}, 18, 0},
		{"two, one declining q8_0", []Named{
			{"scalar", func() (kernels.Provider, error) { return scalar.New(), nil }},
			{"f32only", func() (kernels.Provider, error) { return f32Only{scalar.New()}, nil }},
		}, 18 + 9, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{t: t, total: len(tt.providers) * per}
			res, err := SweepAll(tt.providers, models, dtypes, Options{MinTime: time.Microsecond, Progress: rec.progress})
			if err != nil {
				t.Fatal(err)
			}
			rec.check()
			if len(res) != tt.results {
				t.Errorf("%d results, want %d", len(res), tt.results)
			}
			skipped := 0
			for _, w := range rec.whats {
				if strings.Contains(w, "(skipped: unsupported: f32 only)") {
					skipped++
				}
			}
			if skipped != tt.skipped {
				t.Errorf("%d steps said skipped, want %d: %q", skipped, tt.skipped, rec.whats)
			}
			if !strings.HasPrefix(rec.whats[0], tt.providers[0].Label+" stories260K 64×64 wq f32") {
				t.Errorf("first step %q", rec.whats[0])
			}
		})
	}
	if _, err := SweepAll(nil, []string{"stories15M", "stories7B"}, dtypes, Options{}); err == nil || !strings.Contains(err.Error(), "stories7B") {
		t.Errorf("unknown model: %v", err)
	}
}

func TestMeasureProgress(t *testing.T) {
	ck, err := synthetic.Model("stories260K")
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	ps := []Named{
		{"a", func() (kernels.Provider, error) { return scalar.New(), nil }},
		{"b", func() (kernels.Provider, error) { return scalar.New(), nil }},
	}
	rec := &recorder{t: t, total: 2 * MeasureSteps()}
	res, err := MeasureAll(ps, ck, Options{MinTime: time.Microsecond, Progress: rec.progress})
	if err != nil {
		t.Fatal(err)
	}
	rec.check()
	if len(res) != 2*MeasureSteps() {
		t.Errorf("%d results, want %d", len(res), 2*MeasureSteps())
	}
	for _, r := range res {
		if r.Op == kernels.MatMul && (r.Rows == 0 || r.Cols == 0 || r.WeightBytes != 4*float64(r.Rows*r.Cols) || r.Tensor == "") {
			t.Errorf("matmul result without its shape: %+v", r)
		}
	}
	// MeasureWith without a Progress must not fail.
	if _, err := MeasureWith("scalar", scalar.New(), ck, Options{}); err != nil {
		t.Error(err)
	}
}

// TestWriteFits: the table keeps to its width, wrapping the widest cells,
// and keeps every figure.
func TestWriteFits(t *testing.T) {
	res := []Result{
		{Provider: "wasm." + strings.Repeat("very-long-provider-name-", 3), Op: kernels.MatMul, DType: "q8_0",
			Case: "tinyllama-1.1B 32000×2048 classifier", PerCall: 1234567 * time.Nanosecond, GFLOPs: 123.456, GBs: 23.5},
		{Provider: "builtin.scalar", Op: kernels.Softmax, Case: "32000", PerCall: 2 * time.Microsecond, GFLOPs: 1, GBs: 2},
	}
	for _, width := range []int{120, 80} {
		var b strings.Builder
		if err := WriteWidth(&b, res, width); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			if n := len([]rune(line)); n > width {
				t.Errorf("width %d: line of %d columns: %q", width, n, line)
			}
		}
		for _, want := range []string{"PROVIDER", "µs/call", "1234.57", "123.46", "23.50", "softmax", " - "} {
			if !strings.Contains(out, want) {
				t.Errorf("width %d: table lacks %q:\n%s", width, want, out)
			}
		}
	}
}
