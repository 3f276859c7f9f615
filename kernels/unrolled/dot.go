package unrolled

// The dot products below are the hot loops of the provider. Each keeps
// width independent float32 accumulators, so consecutive adds do not wait
// on each other's latency, and sums them at the end in a fixed pairwise
// order; the result depends only on the length, never on how a matmul's
// rows were split across threads. Products are written float32(a*b): the
// conversion forbids fusing multiply and add, so every product is rounded
// exactly as in the scalar reference, results are the same on every GOARCH
// (arm64 would otherwise fuse), and only the order of the sum differs from
// scalar. Elements beyond the last full group of width go, in order, into
// a separate tail accumulator added last.

// dot4 returns Σ a[i]·b[i] over len(a) with four accumulators; len(b) must
// be at least len(a).
func dot4(a, b []float32) float32 {
	n := len(a)
	b = b[:n:n]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i <= n-4; i += 4 {
		x := a[i : i+4 : i+4]
		y := b[i : i+4 : i+4]
		s0 += float32(x[0] * y[0])
		s1 += float32(x[1] * y[1])
		s2 += float32(x[2] * y[2])
		s3 += float32(x[3] * y[3])
	}
	var tail float32
	at, bt := a[i:], b[i:]
	for j, v := range at {
		tail += float32(v * bt[j])
	}
	return ((s0 + s1) + (s2 + s3)) + tail
}

// dot8 returns Σ a[i]·b[i] over len(a) with eight accumulators; len(b)
// must be at least len(a).
//
// The second half of each group is read through b rather than bn on
// purpose: the compiler cannot drop that one bounds check, and the branch
// splits the loop body into two blocks. In one block Go's scheduler issues
// all eight products before the adds, which with eight accumulators needs
// 16 float registers where amd64 has 15 (X15 is reserved as zero), and one
// accumulator goes through the stack every iteration; split, each half
// needs 12. Measured on the 768×288 matmul: 5.5 → 6.3 GFLOP/s (median of
// 10), for one predictable compare per eight elements.
func dot8(a, b []float32) float32 {
	n := len(a)
	bn := b[:n:n]
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	i := 0
	for ; i <= n-8; i += 8 {
		x := a[i : i+8 : i+8]
		y := bn[i : i+4 : i+4]
		s0 += float32(x[0] * y[0])
		s1 += float32(x[1] * y[1])
		s2 += float32(x[2] * y[2])
		s3 += float32(x[3] * y[3])
		y = b[i+4 : i+8 : i+8] // checked on purpose, see above
		s4 += float32(x[4] * y[0])
		s5 += float32(x[5] * y[1])
		s6 += float32(x[6] * y[2])
		s7 += float32(x[7] * y[3])
	}
	var tail float32
	at, bt := a[i:], bn[i:]
	for j, v := range at {
		tail += float32(v * bt[j])
	}
	return (((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))) + tail
}
