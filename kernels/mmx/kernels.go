package mmx

// The pure-Go definitions of widen and matQ8: the implementations on
// GOARCHes other than 386, and the specification the assembly follows
// (on 386 the tests compare the two). They read their inputs exactly
// where the assembly does, so the slice bounds checks here catch a
// caller that would make the assembly read past the end of a matrix.

// widenGo sign-extends q into x16, eight values at a time with the
// even-indexed ones first: x16[8c+j] = q[8c+2j], x16[8c+4+j] =
// q[8c+2j+1] (j < 4). len(q) must be a multiple of 8.
func widenGo(x16 []int16, q []int8) {
	for c := 0; c+8 <= len(q); c += 8 {
		v, o := q[c:c+8:c+8], x16[c:c+8:c+8]
		for j := range 4 {
			o[j], o[4+j] = int16(v[2*j]), int16(v[2*j+1])
		}
	}
}

// matQ8Go computes rows 0..rows-1 of a Q8_0 matmul whose x is widened in
// x16 and whose scales are xs (ng groups), four rows at a time; in a
// last block of R < 4 rows, rows R..3 repeat row R-1.
//
// Row i's weights are w[i·n:]; they are read in nlg layout groups of wgs
// bytes, each as p/8 chunks of 8 bytes (p ≥ wgs: a chunk may run into
// the next layout group, or past the row, where x16 holds zeros). Chunk
// c of layout group l meets x16[l·p + 8c : +8]. The int32 sums of each
// chunk's lanes (elements 0-3 and 4-7) make a sub-group's dot product,
// stored at ivals[4s+r] for sub-group s and row r of the block: s = l,
// or with split s = 2l and 2l+1, one per lane.
//
// With fast, out[i] = Σ_g float32(float32(float32(ivals[4g+r])·ws[i·ng+g])·xs[g])
// follows for the block; without, only the first block's ivals are
// computed (rows ≤ 4) and out is not touched.
func matQ8Go(out []float32, w []int8, ws []float32, x16 []int16, xs []float32, ivals []int32,
	rows, n, ng, wgs, p, nlg int, split, fast bool) {
	for i := 0; i < rows; i += 4 {
		nr := min(4, rows-i)
		for r := range 4 {
			row := (i + min(r, nr-1)) * n
			for l := range nlg {
				var lane [2]int32
				for c := 0; c < p; c += 8 {
					wc := w[row+l*wgs+c : row+l*wgs+c+8]
					xc := x16[l*p+c : l*p+c+8]
					for j := range 4 {
						lane[j/2] += int32(wc[2*j])*int32(xc[j]) + int32(wc[2*j+1])*int32(xc[4+j])
					}
				}
				if split {
					ivals[8*l+r], ivals[8*l+4+r] = lane[0], lane[1]
				} else {
					ivals[4*l+r] = lane[0] + lane[1]
				}
			}
		}
		if !fast {
			return
		}
		for r := range nr {
			s := ws[(i+r)*ng : (i+r+1)*ng]
			var v float32
			for g, sx := range xs[:ng] {
				// (ival·ws)·xs, each product rounded as in runq.c: the
				// conversions forbid fused multiply-adds.
				v += float32(float32(float32(ivals[4*g+r])*s[g]) * sx)
			}
			out[i+r] = v
		}
	}
}
