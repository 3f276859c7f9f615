package swar

// subBlock is the most values summed in one 64-bit field before it is
// extracted (see the package comment for why 32 is safe and 33 is not).
const subBlock = 32

// pack3 returns a + b·2^22 + c·2^44 in two's complement. Weights are
// packed as pack3(w0, w1, w2) and activations as pack3(x2, x1, x0), so
// that the coefficient of 2^44 of their product is w0x0 + w1x1 + w2x2.
func pack3(a, b, c int8) uint64 {
	return uint64(int64(a) + int64(b)<<22 + int64(c)<<44)
}

// extract returns the exact sum S held in acc = L + S·2^44 (mod 2^64),
// valid for -2^43 ≤ L < 2^43 and -2^19 < S ≤ 2^19 (see the package
// comment).
func extract(acc uint64) int32 {
	return int32(int64(acc-1<<43)>>44) + 1
}

// layout is how one row of cols values in groups of gs is packed: each
// group as full sub-blocks of 32 values (11 words, the last value slot
// zero), then the rest of the group, if any, as one shorter sub-block of
// tail words.
type layout struct {
	gs   int // values per group
	ng   int // groups per row
	full int // full sub-blocks per group: gs / 32
	tail int // words of the last, shorter sub-block: ceil((gs mod 32) / 3)
	wpg  int // words per group: 11·full + tail
	cols int
}

// fullWords is the number of words of a full sub-block.
const fullWords = (subBlock + 2) / 3

// newLayout returns the packing of rows of cols values in groups of gs;
// gs must be positive and divide cols.
func newLayout(cols, gs int) layout {
	l := layout{gs: gs, ng: cols / gs, cols: cols, full: gs / subBlock, tail: (gs%subBlock + 2) / 3}
	l.wpg = l.full*fullWords + l.tail
	return l
}

// words returns the packed words of a row.
func (l layout) words() int { return l.ng * l.wpg }

// pack packs the row src (l.cols values) into dst[0], dst[stride],
// dst[2·stride], … (l.words() words): weights with rev false, activations
// with rev true. Each sub-block's last word is padded with zeros.
func (l layout) pack(dst []uint64, stride int, src []int8, rev bool) {
	k := 0
	for g := range l.ng {
		grp := src[g*l.gs : (g+1)*l.gs]
		for len(grp) > 0 {
			blk := grp[:min(len(grp), subBlock)]
			grp = grp[len(blk):]
			for len(blk) > 0 {
				var v [3]int8
				copy(v[:], blk)
				blk = blk[min(len(blk), 3):]
				if rev {
					dst[k*stride] = pack3(v[2], v[1], v[0])
				} else {
					dst[k*stride] = pack3(v[0], v[1], v[2])
				}
				k++
			}
		}
	}
}
