package mmx

import (
	"fmt"
	"math"
	"slices"
	"unsafe"

	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// maxSub is the largest sub-group whose 256-scaled lane sums cannot
// overflow int32 (see doc.go): 256 · 16384 · maxSub/2 = 2^30.
const maxSub = 512

// Provider is the mmx provider. The zero value is not ready: use New,
// then Init.
type Provider struct {
	kernels.Declined // every op but MatMul

	// q holds x quantized (runq.c's int8 values) and qp, for padded
	// layouts, the same values spread over padded sub-groups; x16 holds
	// them widened for the dot products and xs the groups' scales. ivals
	// receives one block's integer dot products and row a copy of a
	// matrix's last row for layouts that read past a row's end. All are
	// sized at Init and grown at Prepare, never in MatMul.
	q     []int8
	qp    []int8
	x16   []int16
	xs    []float32
	ivals []int32
	row   []int8

	// last is the x that q, qp, x16 and xs now hold, as bits, quantized
	// for rows of lastCols values in groups of lastGS (lastCols 0: none).
	// The engine multiplies one x by several matrices in a row (wq, wk and
	// wv; w1 and w3), so a MatMul whose x and layout are the last one's
	// skips quantizing and widening it again: the same bits in, the same
	// bits out.
	last             []uint32
	lastCols, lastGS int
}

// New returns an mmx provider; Init must be called before use.
func New() *Provider { return &Provider{Declined: kernels.Declined{Provider: "mmx"}} }

// Name implements kernels.Provider.
func (p *Provider) Name() string { return "mmx" }

// Supports implements kernels.Provider: the Q8_0 MatMul only, on a CPU
// with MMX and an x87 FPU (any CPU for the pure-Go build of other
// GOARCHes, which Usable keeps out of profiles).
func (p *Provider) Supports(q kernels.Query) kernels.Support {
	switch {
	case q.Op != kernels.MatMul:
		return kernels.Support{Reason: fmt.Sprintf("%s not supported: mmx runs only the q8_0 matmul", q.Op)}
	case q.DType != kernels.Q8_0:
		return kernels.Support{Reason: fmt.Sprintf("matmul: dtype %v not supported: mmx runs only the q8_0 matmul", q.DType)}
	}
	if asmKernels {
		if err := Usable(); err != nil {
			return kernels.Support{Reason: err.Error()}
		}
	}
	return kernels.Support{OK: true}
}

// Init implements kernels.Provider: it sizes the buffers of x for the
// model's widest matmul input (Prepare grows them for a wider matrix or
// a padded layout).
func (p *Provider) Init(s kernels.Shape) error {
	n := max(s.Dim, s.HiddenDim, 0)
	p.q, p.qp, p.row = make([]int8, n+8), nil, nil
	p.x16, p.xs, p.ivals = make([]int16, n+8), make([]float32, n), make([]int32, ivalsLen(batchRows(1), 1))
	p.last, p.lastCols = make([]uint32, n), 0
	return nil
}

// layout is how a matrix's rows are cut for the MMX dot products. A
// group of gs values (one pair of scales) is split into sub-groups of d
// values (d = gs when gs ≤ 512), each one int32 dot product; the
// assembly walks a row in layout groups of wgs weight bytes, each met by
// p widened x values (p a multiple of 8, x16 zero-padded where p
// exceeds the values).
type layout struct {
	gs, ng  int // the quantization group size and groups per row
	d, nsub int // sub-group size and sub-groups per row
	// split: d = 4, a layout group is two sub-groups, one per MMX lane.
	// padded: d is neither 4 nor a multiple of 8; each sub-group is a
	// layout group whose last chunk runs into the next sub-group.
	split, padded bool
	wgs, p, nlg   int
	nx            int // widened x values: nlg·p
	// over is how many bytes past a row's end its last chunk reads (< 8):
	// the next row's, harmless, but past the matrix for the last rows.
	over  int
	exact bool // one sub-group per group, |ival| < 2^24: the fast x87 scaling applies
}

// newLayout chooses the layout for rows of cols values in groups of gs
// (gs > 0 divides cols).
func newLayout(cols, gs int) layout {
	l := layout{gs: gs, ng: cols / gs, d: subGroup(gs)}
	l.nsub = cols / l.d
	switch {
	case l.d%8 == 0:
		l.wgs, l.p, l.nlg = l.d, l.d, l.nsub
	case l.d == 4:
		l.split = true
		l.wgs, l.p, l.nlg = 8, 8, (l.nsub+1)/2
	default:
		l.padded = true
		l.wgs, l.p, l.nlg = l.d, (l.d+7)&^7, l.nsub
	}
	l.nx = l.nlg * l.p
	if l.nlg > 0 {
		l.over = (l.nlg-1)*l.wgs + l.p - cols
	}
	l.exact = l.d == gs && cols < 1<<24
	return l
}

// subGroup returns the size of the sub-groups a group of gs values is
// summed in: gs itself up to maxSub, else its largest divisor ≤ maxSub
// that is a multiple of 8 (full chunks), or 4 (split), or any.
func subGroup(gs int) int {
	if gs <= maxSub {
		return gs
	}
	best := 1
	for d := maxSub; d >= 1; d-- {
		if gs%d != 0 {
			continue
		}
		if d%8 == 0 || d == 4 {
			return d
		}
		best = max(best, d)
	}
	return best
}

// matrix is the provider's Weight: a view of the engine's Q8_0 values
// and scales (nothing is copied or widened; a 128 MB Pentium II must
// hold stories15M's weights as they are mapped) and its layout.
type matrix struct {
	rows, cols int
	q          []int8    // rows·cols values, row-major
	scales     []float32 // one per group of q
	lay        layout
	// safe: every scale is 0 or 2^-63 ≤ |s| < 2^40, a range where the
	// x87's single precision (with its wider exponent) rounds as float32.
	// pos: every scale is positive (neither 0 nor -0), so that a row of
	// one group is its one product, which is never -0 (see matQ8).
	safe, pos bool
	// tail is tailRows(m); batch is batchRows for the layout (both fixed
	// at Prepare: a division is some 40 cycles on the Pentium II).
	tail, batch int
}

// Prepare implements kernels.Provider: it checks a Q8_0 tensor as the
// reference does, keeps its slices and grows the buffers for its layout.
func (p *Provider) Prepare(t kernels.Tensor) (kernels.Weight, error) {
	if t.DType != kernels.Q8_0 {
		return nil, fmt.Errorf("mmx: prepare %s: dtype %v not supported", t.Name, t.DType)
	}
	if t.Cols > 0 && t.Rows > math.MaxInt/t.Cols { // CheckQ8's Rows·Cols would wrap
		return nil, fmt.Errorf("mmx: prepare %s: q8_0 matrix %d×%d is too large", t.Name, t.Rows, t.Cols)
	}
	if err := scalar.CheckQ8(t); err != nil {
		return nil, fmt.Errorf("mmx: prepare %s: %w", t.Name, err)
	}
	m := &matrix{rows: t.Rows, cols: t.Cols, q: t.Q8, scales: t.Scales, lay: newLayout(t.Cols, t.GroupSize)}
	m.safe = scalesSafe(t.Scales)
	m.pos = scalesPositive(t.Scales)
	m.tail, m.batch = tailRows(m), batchRows(m.lay.subs())
	p.grow(m)
	return m, nil
}

// grow makes the buffers big enough for a MatMul with m.
func (p *Provider) grow(m *matrix) {
	l := &m.lay
	if n := max(m.cols, l.nx) + 8; len(p.q) < n {
		p.q = make([]int8, n)
	}
	if l.padded && len(p.qp) < l.nx {
		p.qp = make([]int8, l.nx)
	}
	if len(p.x16) < l.nx {
		p.x16 = make([]int16, l.nx)
	}
	if len(p.xs) < l.ng {
		p.xs = make([]float32, l.ng)
	}
	if n := ivalsLen(batchRows(l.subs()), l.subs()); len(p.ivals) < n {
		p.ivals = make([]int32, n)
	}
	if l.over > 0 && len(p.row) < m.cols+16 {
		p.row = make([]int8, m.cols+16) // tailRows(m) rows and the bytes read past them
	}
	if len(p.last) < m.cols {
		p.last = make([]uint32, m.cols)
	}
	p.lastCols = 0 // the buffers may have been replaced
}

// scalesPositive reports whether every scale is positive (its sign bit
// clear and not 0).
func scalesPositive(s []float32) bool {
	for _, v := range s {
		if b := math.Float32bits(v); b == 0 || b>>31 != 0 {
			return false
		}
	}
	return true
}

// subs returns how many sub-group sums matQ8 stores per row: one per
// layout group, two with split.
func (l *layout) subs() int {
	if l.split {
		return 2 * l.nlg
	}
	return l.nlg
}

// ivalsRows is about how many sub-group sums one matQ8 call stores (the
// MMX part runs over that many before the x87 part scales them, one EMMS
// per call): 8 KB of ivals.
const ivalsRows = 2048

// batchRows returns how many rows of ns sub-groups one matQ8 call takes:
// a multiple of 5, at least 5.
func batchRows(ns int) int { return 5 * max(1, ivalsRows/(5*max(ns, 1))) }

// scalesSafe reports whether every scale is zero or has 2^-63 ≤ |s| <
// 2^40 (so no NaN, infinity or subnormal).
func scalesSafe(s []float32) bool {
	for _, v := range s {
		b := math.Float32bits(v) &^ (1 << 31)
		if b != 0 && (b < (127-63)<<23 || b >= (127+40)<<23) {
			return false
		}
	}
	return true
}

// MatMul implements kernels.MatMul for a Q8_0 matrix.
func (p *Provider) MatMul(out []float32, w kernels.Weight, x []float32) error {
	m, ok := w.(*matrix)
	if !ok {
		return kernels.ErrForeignWeight
	}
	l := &m.lay
	n, ng := m.cols, l.ng
	out = out[:m.rows]
	if n == 0 {
		clear(out) // sums of nothing
		return nil
	}
	xs := p.xs[:ng]
	if !p.sameX(x[:n], l.gs) {
		quantize(p.q[:n], xs, x[:n], l.gs)
		src := p.q
		switch {
		case l.split:
			clear(p.q[n:l.nx]) // the missing half of an odd last pair
		case l.padded:
			clear(p.qp[:l.nx])
			for s := range l.nsub {
				copy(p.qp[s*l.p:], p.q[s*l.d:(s+1)*l.d])
			}
			src = p.qp
		}
		widen(p.x16[:l.nx], src[:l.nx])
	}
	fast := l.exact && m.safe && scalesSafe(xs)
	rows := m.rows - m.tail
	if fast && rows <= m.batch { // one call (rowsQ8's loop, inline)
		matQ8(out, m.q, m.scales, p.x16, p.xs, p.ivals, rows, n, ng, l.wgs, l.p, l.nlg, l.split, true, m.pos)
	} else {
		p.rowsQ8(out[:rows], m.q, m.scales, m, rows, fast)
	}
	if rows < m.rows { // the last rows, from a copy with room after them
		copy(p.row, m.q[rows*n:])
		p.rowsQ8(out[rows:], p.row, m.scales[rows*ng:], m, m.rows-rows, fast)
	}
	return nil
}

// sameX reports whether x, for rows of len(x) values in groups of gs, is
// what the buffers were last computed from (its bits: a NaN is itself, 0
// and -0 differ), and if not records it as the x about to be. Compared as
// integers: the float compare is a software routine on GO386=softfloat.
func (p *Provider) sameX(x []float32, gs int) bool {
	bits := unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(x))), len(x))
	if p.lastCols == len(x) && p.lastGS == gs && slices.Equal(p.last[:len(x)], bits) {
		return true
	}
	copy(p.last, bits)
	p.lastCols, p.lastGS = len(x), gs
	return false
}

// tailRows returns how many of m's last rows the kernel must read from a
// copy: those whose last chunk would read past the end of the matrix
// (which may end a memory mapping).
func tailRows(m *matrix) int {
	if m.lay.over == 0 {
		return 0
	}
	return min(m.rows, (m.lay.over+m.cols-1)/m.cols)
}

// rowsQ8 computes out[i] for the first rows rows of w (row-major, m.cols
// values a row) and their scales ws, with x in p.x16 and p.xs, in calls
// of batchRows rows to matQ8.
func (p *Provider) rowsQ8(out []float32, w []int8, ws []float32, m *matrix, rows int, fast bool) {
	l := &m.lay
	n, ng, ns := m.cols, l.ng, l.subs()
	batch := m.batch
	k := l.gs / l.d // sub-groups per group
	for i := 0; i < rows; i += batch {
		nr := min(batch, rows-i)
		matQ8(out[i:], w[i*n:], ws[i*ng:], p.x16, p.xs, p.ivals, nr, n, ng, l.wgs, l.p, l.nlg, l.split, fast, m.pos)
		if fast {
			continue
		}
		// Scales outside the safe range, or groups summed in several
		// sub-groups: runq.c's scaling in Go.
		for r := range nr {
			s := ws[(i+r)*ng : (i+r+1)*ng]
			var v float32
			for g, sx := range p.xs[:ng] {
				var ival int32
				for j := g * k; j < (g+1)*k; j++ {
					ival += p.ivals[ivalIndex(r, j, ns)]
				}
				v += float32(float32(float32(ival)*s[g]) * sx) // as runq.c, no fused multiply-add
			}
			out[i+r] = v
		}
	}
}

// Close implements kernels.Provider: it drops the buffers.
func (p *Provider) Close() error {
	*p = Provider{Declined: p.Declined}
	return nil
}

var _ kernels.Provider = (*Provider)(nil)
