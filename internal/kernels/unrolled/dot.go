package unrolled

// The fp32 dot products below are the hot loops of the provider, and they
// follow the rule of issue 16, "exact by construction": never reassociate
// a sum that llama2.c computes in sequence; parallelise across independent
// sums, never within one. A pass runs 4 or 8 rows at once, each row with
// its own accumulator that starts at +0 and adds w[j]·x[j] for j = 0, 1,
// 2, ... exactly as run.c's matmul does, so every row's sum is run.c's
// to the bit. The rows' adds are independent, so the CPU overlaps them
// (what the reference's one chain of dependent adds cannot do), and one
// load of x[j] serves every row of the pass.
//
// Products are written float32(a*b): the conversion forbids fusing the
// multiply and the add (arm64 and GOAMD64=v3 would otherwise fuse), so
// every product is rounded as in run.c, on every GOARCH.

// rowsFunc sets out[k] = Σ_j w[k·stride+j]·x[j] for every k < len(out),
// each a sequential sum over j = 0..len(x)-1. w must hold at least
// (len(out)-1)·stride + len(x) values. A matmul passes its columns as the
// stride; attention passes the key cache's row width, so a pass runs the
// scores of several positions.
type rowsFunc func(out, w []float32, stride int, x []float32)

// rows4 is a rowsFunc running four rows per pass, then the remaining rows
// one by one. With q = len(out)/4, pass k runs rows k, q+k, 2q+k and 3q+k:
// each of the four rows read side by side continues where the previous
// pass's left off, so W is read as four long sequential streams that the
// hardware prefetchers follow. Four adjacent rows per pass would be four
// short streams (1152 bytes for a stories15M row) that restart every
// pass. Why: RATIONALE.md, section "Unrolled kernels".
func rows4(out, w []float32, stride int, x []float32) {
	q := len(out) / 4
	if q > 0 {
		o0, o1, o2, o3 := out[:q], out[q:2*q], out[2*q:3*q], out[3*q:4*q]
		for k := range o0 {
			o0[k], o1[k], o2[k], o3[k] = dot4(w[k*stride:], q*stride, x)
		}
	}
	if 4*q < len(out) { // w may end before row 4q's start otherwise
		rows1(out[4*q:], w[4*q*stride:], stride, x)
	}
}

// rows8 is a rowsFunc running eight rows per pass, rows k, q+k, ..., 7q+k
// for q = len(out)/8 (as rows4, for the same reason), then the remaining
// rows as rows4 does.
func rows8(out, w []float32, stride int, x []float32) {
	q := len(out) / 8
	if q > 0 {
		o := out[:8*q]
		o0, o1, o2, o3 := o[:q], o[q:2*q], o[2*q:3*q], o[3*q:4*q]
		o4, o5, o6, o7 := o[4*q:5*q], o[5*q:6*q], o[6*q:7*q], o[7*q:]
		for k := range o0 {
			o0[k], o1[k], o2[k], o3[k], o4[k], o5[k], o6[k], o7[k] = dot8(w[k*stride:], q*stride, x)
		}
	}
	if 8*q < len(out) {
		rows4(out[8*q:], w[8*q*stride:], stride, x)
	}
}

// rows1 is a rowsFunc running one row at a time: the reference's loop.
func rows1(out, w []float32, stride int, x []float32) {
	n := len(x)
	for k := range out {
		r := k * stride
		row := w[r : r+n : r+n]
		row = row[:len(x)]
		var s float32
		for j, xj := range x {
			s += float32(row[j] * xj)
		}
		out[k] = s
	}
}

// dot4 returns the sequential sums Σ_j w[k·stride+j]·x[j] of rows k = 0..3
// (the caller's stride may span several rows).
func dot4(w []float32, stride int, x []float32) (s0, s1, s2, s3 float32) {
	n := len(x)
	w0 := w[:n:n]
	w1 := w[stride : stride+n : stride+n]
	w2 := w[2*stride : 2*stride+n : 2*stride+n]
	w3 := w[3*stride : 3*stride+n : 3*stride+n]
	// Reslicing to len(x) lets the compiler drop the loop's bounds checks.
	w0, w1, w2, w3 = w0[:len(x)], w1[:len(x)], w2[:len(x)], w3[:len(x)]
	for j, xj := range x {
		s0 += float32(w0[j] * xj)
		s1 += float32(w1[j] * xj)
		s2 += float32(w2[j] * xj)
		s3 += float32(w3[j] * xj)
	}
	return s0, s1, s2, s3
}

// dot8 returns the sequential sums Σ_j w[k·stride+j]·x[j] of rows k = 0..7.
//
// The load of w4[j] keeps its bounds check on purpose: the check's branch
// splits the loop body into two blocks. In one block Go's scheduler issues
// all eight products before the adds, which with eight accumulators and
// x[j] needs 17 float registers where amd64 has 15 (X15 is reserved as
// zero), and two accumulators go through the stack every iteration; split,
// each half fits. Why: RATIONALE.md, section "Unrolled kernels".
func dot8(w []float32, stride int, x []float32) (s0, s1, s2, s3, s4, s5, s6, s7 float32) {
	n := len(x)
	w0 := w[:n:n]
	w1 := w[stride : stride+n : stride+n]
	w2 := w[2*stride : 2*stride+n : 2*stride+n]
	w3 := w[3*stride : 3*stride+n : 3*stride+n]
	w4 := w[4*stride : 4*stride+n : 4*stride+n]
	w5 := w[5*stride : 5*stride+n : 5*stride+n]
	w6 := w[6*stride : 6*stride+n : 6*stride+n]
	w7 := w[7*stride : 7*stride+n : 7*stride+n]
	w0, w1, w2, w3 = w0[:len(x)], w1[:len(x)], w2[:len(x)], w3[:len(x)]
	w5, w6, w7 = w5[:len(x)], w6[:len(x)], w7[:len(x)] // w4 left checked, see above
	for j, xj := range x {
		s0 += float32(w0[j] * xj)
		s1 += float32(w1[j] * xj)
		s2 += float32(w2[j] * xj)
		s3 += float32(w3[j] * xj)
		s4 += float32(w4[j] * xj) // checked on purpose
		s5 += float32(w5[j] * xj)
		s6 += float32(w6[j] * xj)
		s7 += float32(w7[j] * xj)
	}
	return s0, s1, s2, s3, s4, s5, s6, s7
}
