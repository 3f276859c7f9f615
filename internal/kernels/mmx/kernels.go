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
// x16 and whose scales are xs (ng groups), five rows at a time; in a last
// block of R < 5 rows, rows R..4 repeat row R-1.
//
// Row i's weights are w[i·n:]; they are read in nlg layout groups of wgs
// bytes, each as p/8 chunks of 8 bytes (p ≥ wgs: a chunk may run into
// the next layout group, or past the row, where x16 holds zeros). Chunk
// c of layout group l meets x16[l·p + 8c : +8]. The int32 sums of each
// chunk's lanes (elements 0-3 and 4-7) make a sub-group's dot product:
// one sub-group per layout group (ns = nlg), or with split two, one per
// lane (ns = 2·nlg). Row r of block b (row 5b+r) has sub-group s's sum at
// ivals[5·ns·b + 5·s + r]; ivals[5·ns·blocks], one past the last, is a
// copy of the value before it (the assembly's last pair store). With one
// sub-group per row, ivals[i] is row i's.
//
// With fast, out[i] = Σ_g float32(float32(float32(ival)·ws[i·ng+g])·xs[g])
// follows for every row, ival being sub-group g's; without, out is not
// touched. pos (every ws > 0) changes nothing here: it lets the assembly
// skip adding the first product to 0.
func matQ8Go(out []float32, w []int8, ws []float32, x16 []int16, xs []float32, ivals []int32,
	rows, n, ng, wgs, p, nlg int, split, fast, pos bool) {
	ns := nlg
	if split {
		ns *= 2
	}
	for i := 0; i < rows; i += 5 {
		nr := min(5, rows-i)
		base := ns * i // 5·ns·(i/5)
		for r := range 5 {
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
					ivals[base+10*l+r], ivals[base+10*l+5+r] = lane[0], lane[1]
				} else {
					ivals[base+5*l+r] = lane[0] + lane[1]
				}
			}
		}
	}
	if end := ns * 5 * ((rows + 4) / 5); end > 0 {
		ivals[end] = ivals[end-1]
	}
	if !fast {
		return
	}
	for i := range rows {
		s := ws[i*ng : (i+1)*ng]
		var v float32
		for g, sx := range xs[:ng] {
			// (ival·ws)·xs, each product rounded as in runq.c: the
			// conversions forbid fused multiply-adds.
			v += float32(float32(float32(ivals[ivalIndex(i, g, ns)])*s[g]) * sx)
		}
		out[i] = v
	}
}

// ivalIndex is where matQ8 leaves row i's sum of sub-group s when a row
// has ns sub-groups.
func ivalIndex(i, s, ns int) int { return 5*ns*(i/5) + 5*s + i%5 }

// ivalsLen returns the length of matQ8's ivals for rows of ns sub-groups
// and at most rows rows (a multiple of 5 above), plus the one value
// stored past the end.
func ivalsLen(rows, ns int) int { return 5*ns*((rows+4)/5) + 1 }
