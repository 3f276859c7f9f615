// Package stats holds the distribution-free statistics of retrollama's
// A/B benchmarks: a per-profile summary (median with a 95% confidence
// interval) and a comparison of two profiles (speedup ratio B/A with a
// 95% confidence interval, a p-value and a one-line verdict).
//
// Benchmark timings are skewed, heavy-tailed and occasionally bimodal
// (scheduler hiccups, frequency scaling), so nothing here assumes
// normality. Wherever golang.org/x/perf/benchmath (the maths behind
// benchstat) offers the computation, it is used:
//
//   - Summarize: benchmath.AssumeNothing.Summary — the sample median and
//     the order-statistic (binomial) 95% confidence interval of the
//     median.
//   - Compare's p-value: benchmath.AssumeNothing.Compare — the two-sided
//     Mann–Whitney U test (exact U distribution, with ties, for small
//     samples; normal approximation for large ones).
//
// benchmath has no confidence interval for a ratio of two samples, so
// Compare computes one itself with the Hodges–Lehmann estimator on the
// log scale and its Moses (Mann–Whitney inversion) confidence interval:
// form all nA·nB differences d = ln(b_j) − ln(a_i) and sort them; the
// point estimate is exp(median d) and the interval is
// exp(d_(k)) … exp(d_(nA·nB−k+1)), where k−1 is the lower critical value
// of the Mann–Whitney U statistic at two-sided alpha 0.05. That critical
// value comes from the exact U distribution (go-moremath's stats.UDist,
// the table behind benchmath's own U test) when both samples have at
// most 50 runs and from the normal approximation with continuity
// correction above that. The interval is distribution-free: it assumes
// only that B's log-timings are A's shifted by a constant (a
// multiplicative speedup), and its coverage is at least 95% under that
// model. Ties among the differences make it slightly conservative.
//
// Caveats, shared with benchstat:
//
//   - Too few runs cannot show anything. The U test's smallest possible
//     p-value for n+n runs is 2/C(2n, n) (0.33 for 2+2, 0.1 for 3+3,
//     0.029 for 4+4), so fewer than 4+4 runs are never significant at
//     0.05. Likewise the median's 95% interval needs at least 6 runs.
//   - When a 95% interval is out of reach, the widest available interval
//     is returned instead (sample min..max for Summarize, min..max of the
//     differences for Compare, with Speedup.Exact false) and HalfWidth
//     reports +Inf so that --until-ci keeps sampling.
//   - A verdict is "significant" only when both the interval excludes 1
//     and p < 0.05; the two agree in nearly every case, and requiring
//     both keeps discrete-distribution edge cases from claiming a win.
package stats
