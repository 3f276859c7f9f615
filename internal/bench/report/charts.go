//go:build !retrollama_nocharts

package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/retrollama/retrollama/internal/bench"
)

// Chart geometry.
const (
	chartWidth  = 7 * vg.Inch
	chartHeight = 3.6 * vg.Inch
	barWidth    = 36 // points
)

// colour returns the i-th colour of the Okabe–Ito palette, which stays
// distinguishable for colour-blind readers.
func colour(i int) color.Color {
	switch i % 8 {
	case 0:
		return color.RGBA{0x00, 0x72, 0xb2, 0xff} // blue
	case 1:
		return color.RGBA{0xe6, 0x9f, 0x00, 0xff} // orange
	case 2:
		return color.RGBA{0x00, 0x9e, 0x73, 0xff} // bluish green
	case 3:
		return color.RGBA{0xcc, 0x79, 0xa7, 0xff} // reddish purple
	case 4:
		return color.RGBA{0x56, 0xb4, 0xe9, 0xff} // sky blue
	case 5:
		return color.RGBA{0xd5, 0x5e, 0x00, 0xff} // vermillion
	case 6:
		return color.RGBA{0xf0, 0xe4, 0x42, 0xff} // yellow
	}
	return color.RGBA{0x99, 0x99, 0x99, 0xff} // grey
}

// rateChart draws one bar per profile at the median tokens/s with the
// 95% CI of the median as error bars and every raw run as a dot. The
// page's caption explains the marks, so the chart has no legend.
func rateChart(title string, ps []bench.Profile, pick func(bench.Profile) (bench.Summary, []float64)) ([]byte, error) {
	p := newPlot(title, "tokens/s")
	medians := make(plotter.Values, len(ps))
	var centres plotter.XYs
	var errs plotter.YErrors
	var runs plotter.XYs
	for i, pr := range ps {
		s, raw := pick(pr)
		if s.N > 0 {
			medians[i] = s.Median
			centres = append(centres, plotter.XY{X: float64(i), Y: s.Median})
			errs = append(errs, struct{ Low, High float64 }{math.Max(s.Median-s.Lo, 0), math.Max(s.Hi-s.Median, 0)})
		}
		for j, v := range raw {
			// Spread the dots a little so equal runs stay visible; the
			// offset is deterministic so output is reproducible.
			runs = append(runs, plotter.XY{X: float64(i) + jitter(j, len(raw)), Y: v})
		}
	}
	bars, err := plotter.NewBarChart(medians, barWidth)
	if err != nil {
		return nil, err
	}
	bars.Color = color.RGBA{0x56, 0xb4, 0xe9, 0xff}
	bars.LineStyle.Width = 0
	p.Add(bars)
	if len(runs) > 0 {
		dots, err := plotter.NewScatter(runs)
		if err != nil {
			return nil, err
		}
		dots.GlyphStyle.Shape = draw.CircleGlyph{}
		dots.GlyphStyle.Radius = vg.Points(1.6)
		dots.GlyphStyle.Color = color.RGBA{0x33, 0x33, 0x33, 0xff}
		p.Add(dots)
	}
	if len(centres) > 0 {
		eb := &plotter.YErrorBars{XYs: centres, YErrors: errs, CapWidth: vg.Points(14)}
		eb.LineStyle.Width = vg.Points(1.5)
		eb.LineStyle.Color = color.Black
		p.Add(eb)
	}
	p.Y.Min = 0
	p.Y.Max *= 1.08 // room above the highest dot and whisker cap
	p.NominalX(profileNames(ps)...)
	return render(p)
}

// jitter spreads n dots over ±0.12 of a bar around its centre.
func jitter(j, n int) float64 {
	if n <= 1 {
		return 0
	}
	return -0.12 + 0.24*float64(j)/float64(n-1)
}

// opsChart stacks, per profile, the compute time of each op and, on top,
// the boundary time of all ops, in µs per generated token.
func opsChart(ps []bench.Profile) ([]byte, error) {
	p := newPlot("Time per generated token by op", "µs per token")
	// One segment per op name, largest overall at the bottom.
	totals := map[string]float64{}
	var boundary bool
	for _, pr := range ps {
		for _, o := range pr.Ops {
			totals[o.Op] += o.ComputeSeconds
			boundary = boundary || o.BoundarySeconds > 0
		}
	}
	ops := make([]string, 0, len(totals))
	for op := range totals {
		ops = append(ops, op)
	}
	slices.SortFunc(ops, func(a, b string) int {
		if totals[a] != totals[b] {
			if totals[a] > totals[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	type segment struct {
		name   string
		values plotter.Values
	}
	var segs []segment
	for _, op := range ops {
		v := make(plotter.Values, len(ps))
		for i, pr := range ps {
			for _, o := range pr.Ops {
				if o.Op == op {
					v[i] += o.ComputeSeconds * 1e6
				}
			}
		}
		segs = append(segs, segment{op, v})
	}
	if boundary {
		v := make(plotter.Values, len(ps))
		for i, pr := range ps {
			for _, o := range pr.Ops {
				v[i] += o.BoundarySeconds * 1e6
			}
		}
		segs = append(segs, segment{"boundary (all ops)", v})
	}
	var below *plotter.BarChart
	var top float64
	for i, s := range segs {
		b, err := plotter.NewBarChart(s.values, barWidth)
		if err != nil {
			return nil, err
		}
		b.Color = colour(i)
		b.LineStyle.Width = vg.Points(0.5)
		b.LineStyle.Color = color.White
		if below != nil {
			b.StackOn(below)
		}
		below = b
		p.Add(b)
		p.Legend.Add(s.name, b)
	}
	for i := range ps {
		if below != nil {
			top = max(top, below.BarHeight(i))
		}
	}
	p.Y.Min = 0
	// Leave the right of the plot to the legend.
	p.X.Max = float64(len(ps)) - 0.5 + float64(len(ps))*0.6
	p.Y.Max = max(top*1.05, 1)
	p.NominalX(profileNames(ps)...)
	return render(p)
}

// newPlot returns a plot with the page's typography.
func newPlot(title, yLabel string) *plot.Plot {
	p := plot.New()
	sans := func(size vg.Length) font.Font {
		return font.Font{Typeface: "Liberation", Variant: "Sans", Size: size}
	}
	p.Title.Text = title
	p.Title.TextStyle.Font = sans(13)
	p.Y.Label.Text = yLabel
	p.Y.Label.TextStyle.Font = sans(11)
	p.X.Tick.Label.Font = sans(11)
	p.Y.Tick.Label.Font = sans(10)
	p.Legend.TextStyle.Font = sans(10)
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return p
}

// profileNames are the x-axis labels.
func profileNames(ps []bench.Profile) []string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = fmt.Sprintf("%s (%s)", p.Name, p.Label)
	}
	return names
}

// render draws p as an SVG element ready to embed in HTML: without the
// XML prolog and comment, and with fallbacks for the font the page's
// reader may not have. vgsvg escapes all text it writes.
func render(p *plot.Plot) ([]byte, error) {
	c := vgsvg.New(chartWidth, chartHeight)
	p.Draw(draw.New(c))
	return svgElement(c, p.Title.Text)
}

// svgElement is c as an SVG element ready to embed in HTML, as render
// describes; title names the chart in errors.
func svgElement(c *vgsvg.Canvas, title string) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("report: rendering chart %q: %w", title, err)
	}
	svg := buf.Bytes()
	start := bytes.Index(svg, []byte("<svg"))
	if start < 0 {
		return nil, fmt.Errorf("report: rendering chart %q: no <svg> element", title)
	}
	svg = bytes.ReplaceAll(svg[start:], []byte("font-family:Liberation Sans;"),
		[]byte("font-family:'Liberation Sans',Arial,Helvetica,sans-serif;"))
	return svg, nil
}
