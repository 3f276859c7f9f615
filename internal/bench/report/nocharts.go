//go:build retrollama_nocharts

package report

import (
	"errors"

	"github.com/retrollama/retrollama/internal/bench"
	"github.com/retrollama/retrollama/internal/bench/ops"
)

// errNoCharts is why an HTML page cannot be drawn in a build without
// charts: gonum/plot and its fonts are 6 MB the Pentium II build (128 MB
// of RAM holding the binary, the model and the page cache) does without.
var errNoCharts = errors.New("HTML reports draw charts, which are not in this build (built with -tags retrollama_nocharts, as make p2 does); write --format json and render it on another machine")

func rateChart(string, []bench.Profile, func(bench.Profile) (bench.Summary, []float64)) ([]byte, error) {
	return nil, errNoCharts
}

func opsChart([]bench.Profile) ([]byte, error) { return nil, errNoCharts }

func sweepChart(string, string, []sweepShape, []sweepSeries, float64, func(ops.SweepResult) float64) ([]byte, error) {
	return nil, errNoCharts
}
