package stats

import "github.com/aclements/go-moremath/stats"

// Median returns the median of x: its middle value, or the mean of the
// two middle values when len(x) is even; NaN when x is empty. x is not
// modified (it is copied before sorting).
//
// It is the one median of the bench packages (summaries, speedup
// estimates, instrumentation overhead, report columns), so every median
// retrollama prints is computed the same way. It is go-moremath's
// Sample.Quantile(0.5), the estimator benchmath's Summary reports as
// its centre: that quantile (Hyndman–Fan R8) lands exactly on the middle
// order statistic for odd n and halfway between the two middle ones for
// even n, evaluated as lo + (hi-lo)/2, which can differ from (lo+hi)/2 in
// the last bit.
func Median(x []float64) float64 {
	return stats.Sample{Xs: x}.Quantile(0.5)
}
