package avx2

// The fp32 matmul on panels: the weights re-laid out once, at Prepare, so
// that the kernel needs no shuffles. A panel is 8 consecutive rows stored
// column by column, panel[j·8 + r] = W[8P+r][j]: one 32-byte load is
// column j of 8 rows, one lane per row, and lane r adds W[8P+r][j]·x[j]
// for j = 0, 1, 2, ... from +0, the reference's own sum. The kernel runs
// a block of 8 panels (64 rows) per pass, each panel its own stream of
// loads and its own chain of additions (8 in flight). The copy is made
// only where the engine can release the original's memory
// (kernels.Tensor.Release: a memory-mapped checkpoint), so the process
// still holds one copy of the model; on the Go heap the kernel on the
// engine's row-major layout runs instead (matmulRows). Why:
// RATIONALE.md, section "Exact by construction".

// panelRows is the rows of a block, the assembly's pass: 8 panels of 8.
const panelRows = 64

// panelize returns w (rows×cols, row-major) as panels, rows padded with
// zeros to a whole block, releasing each block's rows of w as soon as
// they are copied, so that at no time are both copies of more than a
// block resident.
func panelize(w []float32, rows, cols int, release func(lo, hi int)) []float32 {
	blocks := (rows + panelRows - 1) / panelRows
	p := make([]float32, blocks*panelRows*cols)
	for b := range blocks {
		lo, hi := b*panelRows, min((b+1)*panelRows, rows)
		for r := lo; r < hi; r++ {
			dst := p[(r/8)*8*cols+r%8:]
			for j, v := range w[r*cols : (r+1)*cols] {
				dst[8*j] = v
			}
		}
		release(lo*cols, hi*cols)
	}
	return p
}

// panelUnit is the rows the pool hands out at a time: half a block, so
// that a matrix of 288 rows (4.5 blocks, stories15M's dim) splits 160/128
// over two threads rather than 192/96.
const panelUnit = panelRows / 2

// panelTask is an fp32 matmul on panels split by units of 32 rows; like
// task it lives in the Provider so that handing it to the pool allocates
// nothing.
type panelTask struct {
	out, x []float32
	m      *matrix
}

// Do implements workpool.Task: units [lo, hi).
func (t *panelTask) Do(lo, hi int) { panelUnits(t.out, t.m, t.x, lo, hi) }

// panelUnits computes the rows of units [lo, hi) of m: pairs of whole
// units as blocks, an odd whole unit by the 4-panel pass, straight into
// out; a last unit holding fewer than 32 rows into a buffer first.
func panelUnits(out []float32, m *matrix, x []float32, lo, hi int) {
	n := m.cols
	x = x[:n:n]
	whole := min(hi, m.rows/panelUnit)
	u := lo
	if pairs := (whole - u) / 2; pairs > 0 {
		panelMatmul(out[u*panelUnit:], m.panels[u*panelUnit*n:], x, pairs)
		u += 2 * pairs
	}
	if u < whole {
		panelMatmul4(out[u*panelUnit:], m.panels[u*panelUnit*n:], x)
		u++
	}
	if u < hi && u*panelUnit < m.rows {
		var last [panelUnit]float32
		panelMatmul4(last[:], m.panels[u*panelUnit*n:], x)
		copy(out[u*panelUnit:m.rows], last[:])
	}
}
