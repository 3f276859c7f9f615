package stats

import (
	"math"
	"slices"

	"github.com/retrollama/retrollama/internal/bench"
	"golang.org/x/perf/benchmath"
)

// Confidence is the confidence level of every interval in this package
// (medians and speedup ratios); fixed so reports are comparable.
const Confidence = 0.95

// Alpha is the significance level of the Mann–Whitney U test, the
// complement of Confidence.
const Alpha = 1 - Confidence

// newSample wraps a copy of values in a benchmath.Sample (NewSample
// sorts in place, and callers' run-order samples must stay intact).
func newSample(values []float64) *benchmath.Sample {
	t := benchmath.DefaultThresholds
	t.CompareAlpha = Alpha
	return benchmath.NewSample(slices.Clone(values), &t)
}

// medianCI returns benchmath's 95% confidence interval of the median
// (Lo and Hi are ±Inf when the sample is too small, n < 6). Its Center
// is Median's value, computed by the same go-moremath quantile; callers
// take the median from Median so that there is one median in the code.
func medianCI(samples []float64) benchmath.Summary {
	return benchmath.AssumeNothing.Summary(newSample(samples), Confidence)
}

// Summarize returns the median of samples and the 95% confidence
// interval of the median (benchmath.AssumeNothing, as benchstat
// reports). It is what fills bench.Profile.Gen and .Prompt.
//
// With fewer than 6 samples no 95% interval exists; Lo and Hi are then
// the sample minimum and maximum (the widest interval the data allow,
// at a lower confidence), never ±Inf, so reports stay JSON-encodable.
// An empty sample yields the zero Summary.
func Summarize(samples []float64) bench.Summary {
	if len(samples) == 0 {
		return bench.Summary{}
	}
	s := medianCI(samples)
	lo, hi := s.Lo, s.Hi
	if math.IsInf(lo, 0) {
		lo = slices.Min(samples)
	}
	if math.IsInf(hi, 0) {
		hi = slices.Max(samples)
	}
	return bench.Summary{N: len(samples), Median: Median(samples), Lo: lo, Hi: hi}
}

// HalfWidth returns the relative half-width (Hi−Lo)/2/Median of the 95%
// confidence interval of the median of samples; --until-ci keeps adding
// runs until it falls below the target (0.02 = ±2%).
//
// It is +Inf when no 95% interval exists yet (fewer than 6 samples) or
// the median is not positive, so that a stopping rule never fires on a
// sample too small to support it.
func HalfWidth(samples []float64) float64 {
	if len(samples) == 0 {
		return math.Inf(1)
	}
	s, m := medianCI(samples), Median(samples)
	if math.IsInf(s.Lo, 0) || math.IsInf(s.Hi, 0) || !(m > 0) {
		return math.Inf(1)
	}
	return (s.Hi - s.Lo) / 2 / m
}
