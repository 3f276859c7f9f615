package swar

// parallelMACs is the smallest matmul (rows × cols multiply-adds) split
// across the pool; smaller ones run on the caller's goroutine. Why 32K:
// RATIONALE.md, section "AVX2 provider and the worker pool".
const parallelMACs = 32 << 10

// task is a matmul being split by quads of rows, with x already quantized
// and packed; it lives in the Provider so that handing it to the pool
// allocates nothing, and it is cleared after each call (activations belong
// to the engine).
type task struct {
	out []float32
	m   *matrix
	xw  []uint64
	xs  []float32
}

// Do implements workpool.Task: quads [lo, hi) of out = W·x.
func (t *task) Do(lo, hi int) { quadRows(t.out, t.m, t.xw, t.xs, lo, hi) }

// quadRows computes the rows of quads lo ≤ q < hi: per group, the exact
// integer dot products of four rows with x, one packed x word feeding four
// multiplies, then each scaled and added to its row's float32 sum in group
// order, as runq.c does.
func quadRows(out []float32, m *matrix, xw []uint64, xs []float32, lo, hi int) {
	wpr, ng := m.words(), m.ng
	xw, xs = xw[:wpr:wpr], xs[:ng:ng]
	for q := lo; q < hi; q++ {
		w := m.w[q*4*wpr : (q+1)*4*wpr : (q+1)*4*wpr]
		s := m.s[q*4*ng : (q+1)*4*ng : (q+1)*4*ng]
		var v0, v1, v2, v3 float32
		switch {
		case m.wpg == 1: // groups of 1 to 3 values
			v0, v1, v2, v3 = quad1(w, s, xw, xs)
		case m.wpg == 2: // 4 to 6
			v0, v1, v2, v3 = quad2(w, s, xw, xs)
		default:
			v0, v1, v2, v3 = quad(w, s, xw, xs, m.full, m.tail)
		}
		if r := 4 * q; r+4 <= len(out) {
			o := out[r : r+4 : r+4]
			o[0], o[1], o[2], o[3] = v0, v1, v2, v3
		} else { // the last, partial quad
			v := [4]float32{v0, v1, v2, v3}
			copy(out[r:], v[:])
		}
	}
}

// scale adds the group sums d0..d3 of four rows, scaled by the rows'
// group scales sg and x's group scale sx, to the rows' sums v0..v3:
// (ival·ws)·xs, each product rounded as in runq.c (the conversions forbid
// fused multiply-adds).
func scale(v0, v1, v2, v3 float32, d0, d1, d2, d3 int32, sg *[4]float32, sx float32) (float32, float32, float32, float32) {
	v0 += float32(float32(float32(d0)*sg[0]) * sx)
	v1 += float32(float32(float32(d1)*sg[1]) * sx)
	v2 += float32(float32(float32(d2)*sg[2]) * sx)
	v3 += float32(float32(float32(d3)*sg[3]) * sx)
	return v0, v1, v2, v3
}

// quad returns the four rows of one quad (w its packed words, s its
// scales) times x, for groups of full sub-blocks of 11 words (their 44
// multiply-adds written out rather than a call per sub-block; why:
// RATIONALE.md, section "SWAR Q8_0 matmul") and then a sub-block of tail
// words (0 for none) summed by dot4.
//
//go:noinline
func quad(w []uint64, s []float32, xw []uint64, xs []float32, full, tail int) (v0, v1, v2, v3 float32) {
	for g, sx := range xs {
		var d0, d1, d2, d3 int32
		for range full {
			x := (*[fullWords]uint64)(xw)
			r := (*[4 * fullWords]uint64)(w)
			xw, w = xw[fullWords:], w[4*fullWords:]
			var a0, a1, a2, a3 uint64
			x0 := x[0]
			a0 += r[0] * x0
			a1 += r[1] * x0
			a2 += r[2] * x0
			a3 += r[3] * x0
			x1 := x[1]
			a0 += r[4] * x1
			a1 += r[5] * x1
			a2 += r[6] * x1
			a3 += r[7] * x1
			x2 := x[2]
			a0 += r[8] * x2
			a1 += r[9] * x2
			a2 += r[10] * x2
			a3 += r[11] * x2
			x3 := x[3]
			a0 += r[12] * x3
			a1 += r[13] * x3
			a2 += r[14] * x3
			a3 += r[15] * x3
			x4 := x[4]
			a0 += r[16] * x4
			a1 += r[17] * x4
			a2 += r[18] * x4
			a3 += r[19] * x4
			x5 := x[5]
			a0 += r[20] * x5
			a1 += r[21] * x5
			a2 += r[22] * x5
			a3 += r[23] * x5
			x6 := x[6]
			a0 += r[24] * x6
			a1 += r[25] * x6
			a2 += r[26] * x6
			a3 += r[27] * x6
			x7 := x[7]
			a0 += r[28] * x7
			a1 += r[29] * x7
			a2 += r[30] * x7
			a3 += r[31] * x7
			x8 := x[8]
			a0 += r[32] * x8
			a1 += r[33] * x8
			a2 += r[34] * x8
			a3 += r[35] * x8
			x9 := x[9]
			a0 += r[36] * x9
			a1 += r[37] * x9
			a2 += r[38] * x9
			a3 += r[39] * x9
			x10 := x[10]
			a0 += r[40] * x10
			a1 += r[41] * x10
			a2 += r[42] * x10
			a3 += r[43] * x10
			d0 += extract(a0)
			d1 += extract(a1)
			d2 += extract(a2)
			d3 += extract(a3)
		}
		if tail > 0 {
			a0, a1, a2, a3 := dot4(w[:4*tail], xw[:tail])
			xw, w = xw[tail:], w[4*tail:]
			d0 += extract(a0)
			d1 += extract(a1)
			d2 += extract(a2)
			d3 += extract(a3)
		}
		v0, v1, v2, v3 = scale(v0, v1, v2, v3, d0, d1, d2, d3, (*[4]float32)(s[4*g:]), sx)
	}
	return v0, v1, v2, v3
}

// quad1 is quad for groups of one word (1 to 3 values).
//
//go:noinline
func quad1(w []uint64, s []float32, xw []uint64, xs []float32) (v0, v1, v2, v3 float32) {
	for g, sx := range xs {
		xv, r := xw[g], (*[4]uint64)(w[4*g:])
		d0, d1, d2, d3 := extract(r[0]*xv), extract(r[1]*xv), extract(r[2]*xv), extract(r[3]*xv)
		v0, v1, v2, v3 = scale(v0, v1, v2, v3, d0, d1, d2, d3, (*[4]float32)(s[4*g:]), sx)
	}
	return v0, v1, v2, v3
}

// quad2 is quad for groups of two words (4 to 6 values).
//
//go:noinline
func quad2(w []uint64, s []float32, xw []uint64, xs []float32) (v0, v1, v2, v3 float32) {
	for g, sx := range xs {
		x := (*[2]uint64)(xw[2*g:])
		r := (*[8]uint64)(w[8*g:])
		d0 := extract(r[0]*x[0] + r[4]*x[1])
		d1 := extract(r[1]*x[0] + r[5]*x[1])
		d2 := extract(r[2]*x[0] + r[6]*x[1])
		d3 := extract(r[3]*x[0] + r[7]*x[1])
		v0, v1, v2, v3 = scale(v0, v1, v2, v3, d0, d1, d2, d3, (*[4]float32)(s[4*g:]), sx)
	}
	return v0, v1, v2, v3
}

// dot4 returns the wrapping sums Σ w[4k+r]·x[k] for r = 0..3: the packed
// dot products of four interleaved rows with x, to extract. len(w) must
// be at least 4·len(x). It is not inlined so that its accumulators stay in
// registers (inlined in its caller, they went through the stack).
//
//go:noinline
func dot4(w, x []uint64) (a0, a1, a2, a3 uint64) {
	for _, xv := range x {
		r := (*[4]uint64)(w)
		a0 += r[0] * xv
		a1 += r[1] * xv
		a2 += r[2] * xv
		a3 += r[3] * xv
		w = w[4:]
	}
	return a0, a1, a2, a3
}
