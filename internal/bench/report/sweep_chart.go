//go:build !retrollama_nocharts

package report

import (
	"fmt"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/retrollama/retrollama/internal/bench/ops"
)

// Sweep chart geometry: wider and taller than the report's charts, for
// a score of shape labels written upwards, with the legend to the right
// of the plot rather than over its lines.
const (
	sweepChartWidth  = 10 * vg.Inch
	sweepChartHeight = 6 * vg.Inch
	sweepLegendWidth = 2.3 * vg.Inch
)

// sweepChart draws value of every series across shapes, one line per
// series (colour by provider, dash and mark by dtype) on a log scale,
// and a horizontal line at hline when it is positive (a measured read
// bandwidth). A series has a gap where it has no result or a value that
// is not positive (a log scale has no place for it).
func sweepChart(title, yLabel string, shapes []sweepShape, series []sweepSeries, hline float64, value func(ops.SweepResult) float64) ([]byte, error) {
	p := newPlot(title, yLabel)
	leg := plot.NewLegend()
	leg.TextStyle = p.Legend.TextStyle
	leg.Top, leg.Left = true, true
	providers := map[string]int{}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range series {
		if _, ok := providers[s.provider]; !ok {
			providers[s.provider] = len(providers)
		}
		ls, gs := sweepStyle(providers[s.provider], s.dtype)
		var run plotter.XYs
		flush := func() error {
			if len(run) == 0 {
				return nil
			}
			l, pts, err := plotter.NewLinePoints(run)
			if err != nil {
				return fmt.Errorf("report: chart %q, %s: %w", title, s.name(), err)
			}
			l.LineStyle, pts.GlyphStyle = ls, gs
			p.Add(l, pts)
			run = nil
			return nil
		}
		for i, sh := range shapes {
			r, ok := s.at[sh]
			if v := value(r); ok && v > 0 && !math.IsInf(v, 0) {
				run = append(run, plotter.XY{X: float64(i), Y: v})
				lo, hi = min(lo, v), max(hi, v)
				continue
			}
			if err := flush(); err != nil {
				return nil, err
			}
		}
		if err := flush(); err != nil {
			return nil, err
		}
		leg.Add(s.name(), &plotter.Line{LineStyle: ls}, &plotter.Scatter{GlyphStyle: gs})
	}
	n := float64(len(shapes))
	if hline > 0 {
		l, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: hline}, {X: n - 0.5, Y: hline}})
		if err != nil {
			return nil, fmt.Errorf("report: chart %q: %w", title, err)
		}
		l.LineStyle.Color = colour(7) // grey
		l.LineStyle.Width = vg.Points(2)
		l.LineStyle.Dashes = []vg.Length{vg.Points(2), vg.Points(3)}
		p.Add(l)
		leg.Add(fmt.Sprintf("read bandwidth %.1f GB/s", hline), l)
		lo, hi = min(lo, hline), max(hi, hline)
	}
	if hi < lo { // nothing to draw: any decade
		lo, hi = 1, 10
	}
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = logTicks{}
	p.Y.Min, p.Y.Max = niceBelow(lo), niceAbove(hi)
	labels := make([]string, len(shapes))
	for i, sh := range shapes {
		labels[i] = sh.label()
	}
	p.NominalX(labels...)
	p.X.Min, p.X.Max = -0.5, n-0.5
	p.X.Tick.Label.Rotation = math.Pi / 2
	p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YCenter
	p.X.Tick.Label.Font.Size = vg.Points(9)

	c := vgsvg.New(sweepChartWidth, sweepChartHeight)
	dc := draw.New(c)
	p.Draw(draw.Crop(dc, 0, -sweepLegendWidth, 0, 0))
	leg.Draw(draw.Crop(dc, sweepChartWidth-sweepLegendWidth+vg.Points(12), 0, 0, -vg.Points(24)))
	return svgElement(c, title)
}

// sweepStyle is a series' line and marks: the provider's colour; f32
// solid with circles, q8_0 dashed with triangles, any other dtype dotted
// with squares.
func sweepStyle(provider int, dtype string) (draw.LineStyle, draw.GlyphStyle) {
	ls := draw.LineStyle{Color: colour(provider), Width: vg.Points(1.5)}
	gs := draw.GlyphStyle{Color: colour(provider), Radius: vg.Points(2.5), Shape: draw.CircleGlyph{}}
	switch dtype {
	case "f32":
	case "q8_0":
		ls.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		gs.Shape = draw.TriangleGlyph{}
	default:
		ls.Dashes = []vg.Length{vg.Points(1.5), vg.Points(2.5)}
		gs.Shape = draw.BoxGlyph{}
	}
	return ls, gs
}

// logTicks marks a log axis at 1, 2 and 5 times each power of ten
// (labelled) and the other integer multiples (unlabelled).
type logTicks struct{}

// Ticks implements plot.Ticker.
func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	if !(lo > 0) || !(hi >= lo) {
		return nil
	}
	for e := math.Floor(math.Log10(lo)); math.Pow(10, e) <= hi; e++ {
		for m := 1.0; m <= 9; m++ {
			v := m * math.Pow(10, e)
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = strconv.FormatFloat(v, 'f', -1, 64)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// niceBelow is the largest 1, 2 or 5 times a power of ten at most v (> 0).
func niceBelow(v float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{5, 2, 1} {
		if m*p <= v {
			return m * p
		}
	}
	return p
}

// niceAbove is the smallest 1, 2 or 5 times a power of ten above v (> 0),
// so the axis always spans a step.
func niceAbove(v float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p > v {
			return m * p
		}
	}
	return 10 * p
}
