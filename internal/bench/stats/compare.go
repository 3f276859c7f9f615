package stats

import (
	"fmt"
	"math"
	"slices"

	"golang.org/x/perf/benchmath"
)

// Speedup is the comparison of a subject B against a baseline A on a
// "higher is better" metric such as tokens/s. It carries everything a
// bench.Comparison records about the statistics.
type Speedup struct {
	// Ratio is the Hodges–Lehmann estimate of B/A: exp of the median of
	// all pairwise log differences. > 1 means B is faster.
	Ratio float64
	// Lo and Hi bound the confidence interval of Ratio (95% when Exact).
	Lo, Hi float64
	// P is the two-sided Mann–Whitney U p-value (benchmath).
	P float64
	// NA and NB are the sample sizes of A and B.
	NA, NB int
	// Significant is true when the interval excludes 1 and P < Alpha.
	Significant bool
	// Exact is true when the interval reaches 95% confidence; false
	// when the samples are too small (e.g. 2+2 or 3+3 runs) and Lo..Hi
	// is the widest interval available, min..max of the ratios b/a.
	Exact bool
}

// Compare compares B's samples b against A's samples a, where higher
// values are better (tokens/s), and returns the speedup B/A with its
// 95% confidence interval and Mann–Whitney p-value. See the package
// documentation for the method. The inputs are not modified.
//
// It fails when either side has fewer than 2 samples, or any sample is
// zero, negative, NaN or infinite (ratios of such values are
// meaningless and the log scale needs positive numbers).
func Compare(a, b []float64) (Speedup, error) {
	if err := checkSamples("A", a); err != nil {
		return Speedup{}, err
	}
	if err := checkSamples("B", b); err != nil {
		return Speedup{}, err
	}
	d := logDiffs(a, b)
	s := Speedup{NA: len(a), NB: len(b), Ratio: math.Exp(Median(d))}

	k := 0 // 0-based index of the lower bound in d
	if u, ok := lowerCriticalU(len(a), len(b), Alpha); ok {
		k, s.Exact = u, true
	}
	s.Lo, s.Hi = math.Exp(d[k]), math.Exp(d[len(d)-1-k])

	s.P = pValue(a, b)
	s.Significant = (s.Lo > 1 || s.Hi < 1) && s.P < Alpha
	return s, nil
}

// checkSamples reports why x cannot be compared, naming side ("A"/"B").
func checkSamples(side string, x []float64) error {
	if len(x) < 2 {
		return fmt.Errorf("stats: profile %s has %d samples, need at least 2 to compare", side, len(x))
	}
	for i, v := range x {
		if !(v > 0) || math.IsInf(v, 0) {
			return fmt.Errorf("stats: profile %s sample %d is %v, need a positive finite value", side, i, v)
		}
	}
	return nil
}

// logDiffs returns the sorted nA·nB differences ln(b_j) − ln(a_i) whose
// median is the Hodges–Lehmann shift estimate on the log scale.
func logDiffs(a, b []float64) []float64 {
	d := make([]float64, 0, len(a)*len(b))
	for _, y := range b {
		ly := math.Log(y)
		for _, x := range a {
			d = append(d, ly-math.Log(x))
		}
	}
	slices.Sort(d)
	return d
}

// pValue is benchmath's two-sided Mann–Whitney U p-value of a vs b (1
// when the test cannot run, e.g. every value equal).
func pValue(a, b []float64) float64 {
	c := benchmath.AssumeNothing.Compare(newSample(a), newSample(b))
	return min(c.P, 1) // the exact tail doubling can overshoot 1 by a hair
}
