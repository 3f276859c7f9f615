package report

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/retrollama/retrollama/internal/bench"
	"github.com/retrollama/retrollama/internal/bench/ops"
	"github.com/retrollama/retrollama/internal/host/checkpoint"
)

// sweepFixture is a sweep of three providers over two models' shapes:
// scalar slow everywhere, avx2 fast until the weights leave the caches,
// and a wasm provider without q8_0 (so its q8_0 series is absent) and
// without the classifiers (so its f32 line has gaps).
func sweepFixture(bandwidth float64) *ops.SweepReport {
	r := &ops.SweepReport{
		Schema: ops.SweepSchemaVersion, Kind: ops.SweepKind, Created: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		Env: bench.Environment{GOOS: "linux", GOARCH: "amd64", GoVersion: "go1.26.0", CPU: "AMD EPYC 7551 <32-Core>", NumCPU: 2,
			CPUFeatures: []string{"avx2"}, Providers: map[string]string{"builtin.avx2": "builtin:avx2"}},
		Settings:         ops.SweepSettings{Models: []string{"stories260K", "stories15M"}, DTypes: []string{"f32", "q8_0"}, Threads: 1, MinTimeNs: 1e8},
		ReadBandwidthGBs: bandwidth,
	}
	for _, p := range []struct {
		name   string
		gflops float64
		q8     bool
		cls    bool
	}{{"builtin.scalar", 1.2, true, true}, {"builtin.avx2", 30, true, true}, {"wasm.simd128", 8, false, false}} {
		for _, model := range r.Settings.Models {
			c, _ := checkpoint.ShapeOf(model)
			for _, m := range ops.MatMulCases(c) {
				for _, dt := range r.Settings.DTypes {
					if dt == "q8_0" && !p.q8 || m.Name == "classifier" && !p.cls {
						continue
					}
					elems := float64(m.Rows * m.Cols)
					weights, gs := 4*elems, 0
					if dt == "q8_0" {
						gs = ops.Q8GroupSize(c)
						weights = elems * (1 + 4/float64(gs))
					}
					// Compute-bound at gflops until 12 GB/s of weights.
					ns := max(2*elems/p.gflops, weights/12)
					r.Results = append(r.Results, ops.SweepResult{Provider: p.name, Model: model, Tensor: m.Name, Rows: m.Rows, Cols: m.Cols,
						DType: dt, GroupSize: gs, Calls: 100, NsPerOp: ns, FLOPsPerOp: 2 * elems, WeightBytes: weights,
						BytesPerOp: weights + 4*float64(m.Rows+m.Cols), GFLOPs: 2 * elems / ns, GBs: weights / ns})
				}
			}
		}
	}
	return r
}

// TestSweepHTML: the page parses, embeds both charts, names every
// provider and shape, says which series lack shapes, and refers to
// nothing outside itself.
func TestSweepHTML(t *testing.T) {
	tests := []struct {
		name      string
		report    *ops.SweepReport
		svgs      int
		wantText  []string
		avoidText []string
	}{
		{"with read bandwidth", sweepFixture(11.5), 2,
			[]string{"read bandwidth 11.5 GB/s", "wasm.simd128 f32: no result at 2 of 9 shapes (stories260K classifier 512×64, stories15M classifier 32000×288)",
				"AMD EPYC 7551 <32-Core>", "builtin.scalar q8_0", "wasm.simd128 f32"},
			[]string{"wasm.simd128 q8_0", "builtin.avx2 f32: no result"}},
		{"without", sweepFixture(0), 2, []string{"Matmul GB/s of weights read by shape"}, []string{"read bandwidth"}},
		{"empty", &ops.SweepReport{Schema: 1, Kind: ops.SweepKind}, 0, []string{"No results to chart."}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := SweepHTML(&buf, tt.report); err != nil {
				t.Fatal(err)
			}
			page := buf.String()
			if dir := os.Getenv("SWEEP_HTML_DIR"); dir != "" { // for a look in a browser
				os.WriteFile(fmt.Sprintf("%s/%s.html", dir, strings.ReplaceAll(tt.name, " ", "-")), buf.Bytes(), 0o644)
			}
			count, text := htmlStructure(t, page)
			for el, n := range map[string]int{"svg": tt.svgs, "figure": tt.svgs, "html": 1, "title": 1, "script": 0, "link": 0, "img": 0, "iframe": 0, "object": 0} {
				if count[el] != n {
					t.Errorf("%d <%s> elements, want %d", count[el], el, n)
				}
			}
			want := append([]string(nil), tt.wantText...)
			for _, r := range tt.report.Results {
				want = append(want, r.Provider, fmt.Sprintf("%s %s %d×%d", r.Model, r.Tensor, r.Rows, r.Cols))
			}
			for _, w := range want {
				if !strings.Contains(text, w) {
					t.Errorf("page text lacks %q", w)
				}
			}
			for _, w := range tt.avoidText {
				if strings.Contains(text, w) {
					t.Errorf("page text has %q", w)
				}
			}
			if tt.svgs > 0 {
				// Every shape is named in each chart, not only in the table.
				for _, svg := range regexp.MustCompile(`(?s)<svg.*?</svg>`).FindAllString(page, -1) {
					for _, r := range tt.report.Results {
						if l := fmt.Sprintf("%s %s %d×%d", r.Model, r.Tensor, r.Rows, r.Cols); !strings.Contains(svg, l) {
							t.Errorf("a chart lacks the shape %q", l)
						}
					}
				}
			}
			if strings.Contains(page, "<?xml") {
				t.Error("an SVG kept its XML prolog")
			}
			rest := page
			for _, ns := range xmlNamespaces() {
				rest = strings.ReplaceAll(rest, ns, "")
			}
			if u := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}|\s(src|href)\s*=|url\(`).FindString(rest); u != "" {
				t.Errorf("page refers to %q; it must be self-contained", u)
			}
		})
	}
	if err := SweepHTML(&bytes.Buffer{}, nil); err == nil {
		t.Error("nil report: no error")
	}
}

// TestSweepAxes: shapes by weight size, ties in order of appearance.
func TestSweepAxes(t *testing.T) {
	shapes, series := sweepAxes(sweepFixture(0).Results)
	var got []string
	for _, s := range shapes {
		got = append(got, s.label())
	}
	want := "stories260K wk 32×64, stories260K wq 64×64, stories260K w1 172×64, stories260K w2 64×172, stories260K classifier 512×64, " +
		"stories15M wq 288×288, stories15M w1 768×288, stories15M w2 288×768, stories15M classifier 32000×288"
	if strings.Join(got, ", ") != want {
		t.Errorf("shapes\n%s\nwant\n%s", strings.Join(got, ", "), want)
	}
	if len(series) != 5 {
		t.Errorf("%d series, want 5 (wasm has no q8_0)", len(series))
	}
}

func TestLogTicks(t *testing.T) {
	tests := []struct {
		lo, hi float64
		labels string
	}{
		{1, 100, "1 2 5 10 20 50 100"},
		{0.5, 2, "0.5 1 2"},
		{20, 50, "20 50"},
	}
	for _, tt := range tests {
		var labels []string
		for _, tk := range (logTicks{}).Ticks(tt.lo, tt.hi) {
			if tk.Label != "" {
				labels = append(labels, tk.Label)
			}
		}
		if got := strings.Join(labels, " "); got != tt.labels {
			t.Errorf("Ticks(%v, %v) labels %q, want %q", tt.lo, tt.hi, got, tt.labels)
		}
	}
	for v, want := range map[float64][2]float64{3: {2, 5}, 1: {1, 2}, 0.07: {0.05, 0.1}, 49: {20, 50}} {
		if lo, hi := niceBelow(v), niceAbove(v); !near(lo, want[0]) || !near(hi, want[1]) {
			t.Errorf("nice(%v) = %v, %v, want %v", v, lo, hi, want)
		}
	}
}

func near(a, b float64) bool { return a == b || (a-b)/b < 1e-9 && (b-a)/b < 1e-9 }
