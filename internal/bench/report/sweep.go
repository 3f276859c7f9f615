package report

import (
	"bufio"
	"cmp"
	"fmt"
	"html/template"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/retrollama/retrollama/internal/bench/ops"
)

// SweepHTML writes a "bench ops --sweep" run as one self-contained HTML
// page: its environment and settings, two inline SVG charts across the
// matmul shapes (GFLOP/s, and GB/s of weights read), one line per
// provider and dtype, shapes ordered by weight size, so compute-bound
// shapes (GFLOP/s flat, GB/s rising) and bandwidth-bound ones (GB/s flat
// near the read bandwidth, drawn when r has one) show at a glance; then
// which series lack shapes and every result in a table. Like HTML, the
// page loads nothing and has no JavaScript; all text is escaped.
func SweepHTML(w io.Writer, r *ops.SweepReport) error {
	if r == nil {
		return errNilReport
	}
	shapes, series := sweepAxes(r.Results)
	page := sweepPage{
		Title:   fmt.Sprintf("retrollama bench ops --sweep: %s", plural(len(r.Results), "result")),
		Results: sweepTable(r.Results),
		Gaps:    sweepGaps(shapes, series),
	}
	for _, kv := range sweepEnvironment(r) {
		page.Env = append(page.Env, htmlKeyValue{kv.key, kv.value})
	}
	if len(r.Results) > 0 {
		charts, err := sweepCharts(r, shapes, series)
		if err != nil {
			return err
		}
		page.Charts = charts
	}
	t, err := template.New("sweep").Parse(sweepTemplate)
	if err != nil {
		return fmt.Errorf("report: parsing sweep HTML template: %w", err)
	}
	bw := bufio.NewWriter(w)
	if err := t.Execute(bw, page); err != nil {
		return fmt.Errorf("report: writing sweep HTML: %w", err)
	}
	return bw.Flush()
}

// sweepPage is the data of sweepTemplate.
type sweepPage struct {
	Title   string
	Env     []htmlKeyValue
	Charts  []htmlChart
	Gaps    []string
	Results htmlTable
}

// sweepShape is one matmul shape of one model: a point on the x axis.
type sweepShape struct {
	model, tensor string
	rows, cols    int
}

// label is the shape's x-axis label and table name.
func (s sweepShape) label() string {
	return fmt.Sprintf("%s %s %d×%d", s.model, s.tensor, s.rows, s.cols)
}

// sweepSeries is one line of the charts: a provider at a dtype, with its
// results by shape.
type sweepSeries struct {
	provider, dtype string
	at              map[sweepShape]ops.SweepResult
}

// name is the series' legend entry.
func (s sweepSeries) name() string { return s.provider + " " + s.dtype }

// sweepAxes returns the distinct shapes, smallest weights first (ties in
// order of first appearance), and the series in order of first
// appearance.
func sweepAxes(rs []ops.SweepResult) ([]sweepShape, []sweepSeries) {
	var shapes []sweepShape
	first := map[sweepShape]int{}
	var series []sweepSeries
	index := map[[2]string]int{}
	for _, r := range rs {
		sh := sweepShape{r.Model, r.Tensor, r.Rows, r.Cols}
		if _, ok := first[sh]; !ok {
			first[sh] = len(shapes)
			shapes = append(shapes, sh)
		}
		key := [2]string{r.Provider, r.DType}
		i, ok := index[key]
		if !ok {
			i = len(series)
			index[key] = i
			series = append(series, sweepSeries{provider: r.Provider, dtype: r.DType, at: map[sweepShape]ops.SweepResult{}})
		}
		series[i].at[sh] = r
	}
	slices.SortStableFunc(shapes, func(a, b sweepShape) int {
		return cmp.Or(cmp.Compare(a.rows*a.cols, b.rows*b.cols), cmp.Compare(first[a], first[b]))
	})
	return shapes, series
}

// sweepGaps names each series that has no result at some shapes (its
// provider declined them, or they were not asked of it).
func sweepGaps(shapes []sweepShape, series []sweepSeries) []string {
	var out []string
	for _, s := range series {
		var missing []string
		for _, sh := range shapes {
			if _, ok := s.at[sh]; !ok {
				missing = append(missing, sh.label())
			}
		}
		if len(missing) > 0 {
			out = append(out, fmt.Sprintf("%s: no result at %d of %d shapes (%s)", s.name(), len(missing), len(shapes), strings.Join(missing, ", ")))
		}
	}
	return out
}

// sweepEnvironment lists where and how the sweep ran.
func sweepEnvironment(r *ops.SweepReport) []keyValue {
	e, s := r.Env, r.Settings
	kv := []keyValue{
		{"created", r.Created.UTC().Format("2006-01-02 15:04:05 UTC")},
		{"kernels.hcl", "sha256 " + shortHash(e.KernelsHash)},
		{"machine", machine(e)},
	}
	if len(e.CPUFeatures) > 0 {
		kv = append(kv, keyValue{"cpu features", strings.Join(e.CPUFeatures, " ")})
	}
	kv = append(kv, keyValue{"go", orNA(e.GoVersion)})
	if e.Hostname != "" {
		kv = append(kv, keyValue{"host", e.Hostname})
	}
	if len(e.Providers) > 0 {
		var ps []string
		for _, k := range slices.Sorted(maps.Keys(e.Providers)) {
			ps = append(ps, k+" "+e.Providers[k])
		}
		kv = append(kv, keyValue{"providers", strings.Join(ps, ", ")})
	}
	threads := "the providers' default threads"
	if s.Threads > 0 {
		threads = plural(s.Threads, "thread")
	}
	kv = append(kv, keyValue{"settings", fmt.Sprintf("models %s; dtypes %s; %s per op; each shape timed at least %.3g ms",
		orNA(strings.Join(s.Models, ", ")), orNA(strings.Join(s.DTypes, ", ")), threads, float64(s.MinTimeNs)/1e6)})
	if r.ReadBandwidthGBs > 0 {
		kv = append(kv, keyValue{"read bandwidth", fmt.Sprintf("%.1f GB/s (measured)", r.ReadBandwidthGBs)})
	}
	return kv
}

// sweepTable is every result in the order measured.
func sweepTable(rs []ops.SweepResult) htmlTable {
	t := table{
		header: []string{"provider", "model", "tensor", "rows×cols", "dtype", "group", "µs/call", "GFLOP/s", "GB/s (weights)"},
		align:  []align{left, left, left, right, left, right, right, right, right},
	}
	for _, r := range rs {
		group := "-"
		if r.GroupSize > 0 {
			group = fmt.Sprint(r.GroupSize)
		}
		t.rows = append(t.rows, []string{r.Provider, r.Model, r.Tensor, fmt.Sprintf("%d×%d", r.Rows, r.Cols), r.DType, group,
			fmt.Sprintf("%.2f", r.NsPerOp/1e3), fmt.Sprintf("%.2f", r.GFLOPs), fmt.Sprintf("%.2f", r.GBs)})
	}
	return htmlTableOf(t)
}

// sweepCharts draws the GFLOP/s and GB/s charts.
func sweepCharts(r *ops.SweepReport, shapes []sweepShape, series []sweepSeries) ([]htmlChart, error) {
	flops, err := sweepChart("Matmul GFLOP/s by shape", "GFLOP/s", shapes, series, 0,
		func(s ops.SweepResult) float64 { return s.GFLOPs })
	if err != nil {
		return nil, err
	}
	bw, err := sweepChart("Matmul GB/s of weights read by shape", "GB/s", shapes, series, r.ReadBandwidthGBs,
		func(s ops.SweepResult) float64 { return s.GBs })
	if err != nil {
		return nil, err
	}
	const order = "Shapes left to right by weight size (rows×cols); log scale; solid lines f32, dashed q8_0; a missing point is a shape without a result."
	bwNote := " GB/s counts the weight bytes read per call (values, and scales for q8_0): flat and high means bandwidth-bound."
	if r.ReadBandwidthGBs > 0 {
		bwNote += fmt.Sprintf(" The grey line is the machine's measured read bandwidth, %.1f GB/s.", r.ReadBandwidthGBs)
	}
	// The SVGs come from vgsvg, which escapes every string it draws.
	return []htmlChart{
		{SVG: template.HTML(flops), Caption: order + " Floating-point operations (2·rows·cols) per second: flat and high means compute-bound."},
		{SVG: template.HTML(bw), Caption: order + bwNote},
	}, nil
}

// sweepTemplate is the html/template of SweepHTML's page; like
// pageTemplate it is well-formed XML.
const sweepTemplate = pageHead + `
` + envSection + `
` + chartsStart + `{{- else}}
<p class="note">No results to chart.</p>
{{- end}}

{{- if .Gaps}}
<h2>Missing results</h2>
<ul class="gaps">
{{- range .Gaps}}
<li>{{.}}</li>
{{- end}}
</ul>
{{- end}}

<h2>Results</h2>
{{template "table" .Results}}
` + pageEnd
