package stats

import (
	"fmt"
	"strconv"
)

// Verdict renders s as the one-line sentence stored in
// bench.Comparison.Verdict, naming B nameB and A nameA, e.g.
//
//	B is 1.77× faster than A [95% CI 1.70×…1.84×] p=0.0003 (Mann-Whitney U, n=10+10)
//	B is 1.25× slower than A [95% CI 1.20×…1.31×] p=0.0011 (Mann-Whitney U, n=10+10)
//	no significant difference between B and A (B/A = 1.01× [95% CI 0.98×…1.04×], p=0.41, Mann-Whitney U, n=10+10)
//
// A slowdown is stated as the factor A/B with the interval inverted, so
// every sentence reads with a factor ≥ 1. When the samples were too
// small for a 95% interval (Exact false), "95% CI" becomes "range" so no
// one mistakes min..max for a confidence interval.
func (s Speedup) Verdict(nameA, nameB string) string {
	ci := "95% CI"
	if !s.Exact {
		ci = "range"
	}
	tail := fmt.Sprintf("Mann-Whitney U, n=%d+%d", s.NA, s.NB)
	switch {
	case s.Significant && s.Ratio > 1:
		return fmt.Sprintf("%s is %s faster than %s [%s %s…%s] %s (%s)",
			nameB, times(s.Ratio), nameA, ci, times(s.Lo), times(s.Hi), formatP(s.P), tail)
	case s.Significant && s.Ratio < 1:
		return fmt.Sprintf("%s is %s slower than %s [%s %s…%s] %s (%s)",
			nameB, times(1/s.Ratio), nameA, ci, times(1/s.Hi), times(1/s.Lo), formatP(s.P), tail)
	default:
		return fmt.Sprintf("no significant difference between %s and %s (%s/%s = %s [%s %s…%s], %s, %s)",
			nameB, nameA, nameB, nameA, times(s.Ratio), ci, times(s.Lo), times(s.Hi), formatP(s.P), tail)
	}
}

// times formats a ratio with two decimals and a multiplication sign.
func times(r float64) string {
	return strconv.FormatFloat(r, 'f', 2, 64) + "×"
}

// formatP formats a p-value as "p=" with two significant digits in
// plain decimal notation (p=0.41, p=0.00031), or "p<0.000001" for
// smaller values, which only huge samples reach.
func formatP(p float64) string {
	if p < 1e-6 {
		return "p<0.000001"
	}
	rounded, _ := strconv.ParseFloat(strconv.FormatFloat(p, 'g', 2, 64), 64)
	return "p=" + strconv.FormatFloat(rounded, 'f', -1, 64)
}
