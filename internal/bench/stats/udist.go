package stats

import (
	"math"

	"github.com/aclements/go-moremath/stats"
)

// exactULimit is the largest per-sample size for which the lower
// critical value of U is taken from the exact distribution; above it
// the normal approximation is accurate to ±1 and the exact computation
// (quadratic in nA·nB) gets slow. It matches go-moremath's
// MannWhitneyExactLimit.
const exactULimit = 50

// lowerCriticalU returns the largest u with P(U ≤ u) ≤ alpha/2 under
// the null distribution of the Mann–Whitney U statistic for sample
// sizes n1 and n2 without ties: the two-sided lower critical value
// found in textbook tables (23 for 10+10 at alpha 0.05). ok is false
// when no such u exists, i.e. the samples are too small for the
// requested confidence.
func lowerCriticalU(n1, n2 int, alpha float64) (u int, ok bool) {
	if n1 <= exactULimit && n2 <= exactULimit {
		return exactLowerCriticalU(n1, n2, alpha)
	}
	return normalLowerCriticalU(n1, n2, alpha)
}

// exactLowerCriticalU is lowerCriticalU from the exact U distribution
// (go-moremath's stats.UDist, the Mann–Whitney counting recurrence),
// binary-searching its CDF, which is monotone.
func exactLowerCriticalU(n1, n2 int, alpha float64) (int, bool) {
	d := stats.UDist{N1: n1, N2: n2}
	if d.CDF(0) > alpha/2 {
		return -1, false
	}
	// Invariant: CDF(lo) ≤ alpha/2 < CDF(hi). The median of U never
	// qualifies, so hi starts there.
	lo, hi := 0, n1*n2/2+1
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if d.CDF(float64(mid)) <= alpha/2 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, true
}

// normalLowerCriticalU is lowerCriticalU from the normal approximation
// to U with continuity correction: P(U ≤ u) ≈ Φ((u + ½ − μ)/σ).
func normalLowerCriticalU(n1, n2 int, alpha float64) (int, bool) {
	nm := float64(n1) * float64(n2)
	mu := nm / 2
	sigma := math.Sqrt(nm * float64(n1+n2+1) / 12)
	z := stats.StdNormal.InvCDF(alpha / 2) // negative
	u := int(math.Floor(mu - 0.5 + z*sigma))
	if u < 0 {
		return -1, false
	}
	return u, true
}
