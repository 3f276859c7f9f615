package report

import (
	"slices"

	"github.com/retrollama/retrollama/internal/bench"
	"github.com/retrollama/retrollama/internal/bench/stats"
)

// median returns stats.Median of xs, and false when xs is empty. xs is
// not modified.
func median(xs []float64) (float64, bool) {
	if len(xs) == 0 {
		return 0, false
	}
	return stats.Median(xs), true
}

// peak returns the largest of xs and false when xs is empty.
func peak(xs []int64) (int64, bool) {
	if len(xs) == 0 {
		return 0, false
	}
	return slices.Max(xs), true
}

// opTotal is the time per token an op spends, compute and boundary.
func opTotal(o bench.OpTime) float64 {
	return o.ComputeSeconds + o.BoundarySeconds
}

// sortedOps returns p's ops, most expensive first; ties keep a stable,
// name-based order so output never depends on the runner's map order.
func sortedOps(ops []bench.OpTime) []bench.OpTime {
	s := slices.Clone(ops)
	slices.SortStableFunc(s, func(a, b bench.OpTime) int {
		if ta, tb := opTotal(a), opTotal(b); ta != tb {
			if ta > tb {
				return -1
			}
			return 1
		}
		if a.Op != b.Op {
			if a.Op < b.Op {
				return -1
			}
			return 1
		}
		switch {
		case a.Provider < b.Provider:
			return -1
		case a.Provider > b.Provider:
			return 1
		}
		return 0
	})
	return s
}

// instrumentedTokenSeconds is the wall time of one generated token during
// the instrumented pass that measured p.Ops: the uninstrumented median
// token time stretched by the measured overhead. It returns false when
// the profile has no generation median to derive it from.
//
// InstrumentationOverhead is (uninstrumented tok/s / instrumented tok/s)-1,
// so instrumented s/token = (1+overhead) / uninstrumented tok/s.
func instrumentedTokenSeconds(p bench.Profile) (float64, bool) {
	if p.Gen.Median <= 0 {
		return 0, false
	}
	return (1 + p.InstrumentationOverhead) / p.Gen.Median, true
}
