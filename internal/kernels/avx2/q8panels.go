package avx2

// The Q8_0 matmul on panels, as panels.go is for fp32: the int8 weights
// re-laid out once, at Prepare, where the engine can release the
// original's memory. A panel is 8 consecutive rows, 4 columns at a time:
// the 32 bytes of step s hold W[8P+r][4s+c] at byte 4r+c, so one
// VPMADDUBSW/VPMADDWD gives each of the 8 rows (one int32 lane per row)
// the sum of its 4 products, and a group's exact integer sums arrive with
// one lane per row, ready to be converted, scaled and added to the row's
// float sum, in group order as runq.c does, with no horizontal adds. The
// scales of a block's 4 panels are interleaved by group:
// s32[((B·groups)+g)·32 + 8k + r] is the scale of group g of row 32B+8k+r.
// A block of 4 panels (32 rows) goes per pass: 4 load streams, and the
// 8 accumulators that 4 panels need (int32 and float) fit the 16 YMM
// registers.

// q8PanelRows is the rows of a Q8_0 block, the assembly's pass.
const q8PanelRows = 32

// q8panelize returns the weights q as panels and their scales interleaved by
// block (both padded with zeros to whole blocks), releasing each block's
// rows of the original as soon as they are copied. cols is a multiple of
// 4 (the group size is a multiple of 32).
func q8panelize(q []int8, scales []float32, rows, cols, gs int, release func(lo, hi int)) ([]int8, []float32) {
	groups := cols / gs
	blocks := (rows + q8PanelRows - 1) / q8PanelRows
	panels := make([]int8, blocks*q8PanelRows*cols)
	s32 := make([]float32, blocks*groups*q8PanelRows)
	for b := range blocks {
		lo, hi := b*q8PanelRows, min((b+1)*q8PanelRows, rows)
		for r := lo; r < hi; r++ {
			panel := panels[(r/8)*8*cols:]
			row := q[r*cols : (r+1)*cols]
			for s := range cols / 4 {
				copy(panel[32*s+4*(r%8):32*s+4*(r%8)+4], row[4*s:4*s+4])
			}
			k := (r % q8PanelRows) / 8
			for g := range groups {
				s32[(b*groups+g)*q8PanelRows+8*k+r%8] = scales[r*groups+g]
			}
		}
		release(lo*cols, hi*cols)
	}
	return panels, s32
}

// q8PanelUnit is the rows the pool hands out at a time: half a block,
// so that a matrix of 288 rows (9 blocks) splits 144/144 over two
// threads rather than 160/128.
const q8PanelUnit = q8PanelRows / 2

// q8PanelTask is a Q8_0 matmul on panels split by units of 16 rows, x
// already quantized; like task it lives in the Provider.
type q8PanelTask struct {
	out []float32
	m   *q8Matrix
	xq  []int8
	xs  []float32
}

// Do implements workpool.Task: units [lo, hi).
func (t *q8PanelTask) Do(lo, hi int) { q8PanelUnits(t.out, t.m, t.xq, t.xs, lo, hi) }

// q8PanelUnits computes the rows of units [lo, hi) of m: a unit that
// starts in the middle of a block and a last odd unit by the 2-panel
// pass, pairs of units from a block's start as blocks, straight into
// out; a last unit holding fewer than 16 rows into a buffer first.
func q8PanelUnits(out []float32, m *q8Matrix, xq []int8, xs []float32, lo, hi int) {
	n, ng := m.cols, m.groups
	unit := func(out []float32, u int) { // the 2-panel pass over unit u
		b, half := u/2, u%2
		q8PanelMatmul2(out, m.panels[u*q8PanelUnit*n:], m.s32[b*ng*q8PanelRows+half*q8PanelUnit:], xq, xs, m.gs)
	}
	whole := min(hi, m.rows/q8PanelUnit)
	u := lo
	if u < whole && u%2 == 1 {
		unit(out[u*q8PanelUnit:], u)
		u++
	}
	if blocks := (whole - u) / 2; blocks > 0 {
		q8PanelMatmul(out[u*q8PanelUnit:], m.panels[u*q8PanelUnit*n:], m.s32[u/2*ng*q8PanelRows:], xq, xs, m.gs, blocks)
		u += 2 * blocks
	}
	if u < whole {
		unit(out[u*q8PanelUnit:], u)
		u++
	}
	if u < hi && u*q8PanelUnit < m.rows {
		var last [q8PanelUnit]float32
		unit(last[:], u)
		copy(out[u*q8PanelUnit:m.rows], last[:])
	}
}

// q8PanelMatmulGo is q8PanelMatmul in Go, for any quantized x: the
// assembly's VPSIGNB cannot negate an x of -128 (possible only in a group
// whose scale is subnormal), and the original weights may have been
// released, so such an x is computed here, from the panels: the first
// len(out) rows.
func q8PanelMatmulGo(out []float32, panels []int8, s32 []float32, xq []int8, xs []float32, gs int) {
	n := len(xq)
	groups := n / gs
	for r := range out {
		panel := panels[(r/8)*8*n:]
		var v float32
		for g := range groups {
			var d int32
			for j := g * gs; j < (g+1)*gs; j++ {
				d += int32(panel[32*(j/4)+4*(r%8)+j%4]) * int32(xq[j])
			}
			ws := s32[((r/q8PanelRows)*groups+g)*q8PanelRows+r%q8PanelRows]
			v += float32(float32(float32(d)*ws) * xs[g])
		}
		out[r] = v
	}
}
