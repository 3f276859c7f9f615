package avx2

import (
	"math"

	"golang.org/x/sys/cpu"
)

// hasAVX2 is whether this CPU (and OS, which must save the YMM registers:
// x/sys/cpu checks OSXSAVE) runs the assembly kernels. They need AVX2
// only: the fp32 kernels are exact because they never fuse a multiply
// with an add, so FMA is not used.
var hasAVX2 = cpu.X86.HasAVX2

//go:noescape
func matmulAVX2(out, w, x *float32, cols8, stride, groups int)

//go:noescape
func wsumAVX2(out, v, att *float32, n8, stride, t int)

//go:noescape
func q8dot4AVX2(w0, w1, w2, w3 *int8, ws *float32, xq *int8, xs *float32, groups, gs int, out *[4]float32)

//go:noescape
func quantizeAVX2(xq *int8, xs *float32, x *float32, groups, gs int) (nan bool)

//go:noescape
func scaleMulAVX2(out, w, x *float32, s float32, n int)

// matmulGroups sets out[r] = Σ_{j<n8} w[r·stride+j]·x[j] for r <
// 8·groups, each sum in the reference's order from +0 (n8 a multiple of
// 8; groups > 0). The slices must hold what that reads and writes.
func matmulGroups(out, w, x []float32, n8, stride, groups int) {
	if n8 == 0 {
		clear(out[:8*groups])
		return
	}
	_, _, _ = out[8*groups-1], w[(8*groups-1)*stride+n8-1], x[n8-1]
	matmulAVX2(&out[0], &w[0], &x[0], n8, stride, groups)
}

// wsum sets out[i] = Σ_{t<len(att)} att[t]·v[t·stride+i] for i < n8 (a
// multiple of 8), each sum from +0 over t in order; len(att) > 0.
func wsum(out, v, att []float32, n8, stride int) {
	if n8 == 0 {
		return
	}
	_, _ = out[n8-1], v[(len(att)-1)*stride+n8-1]
	wsumAVX2(&out[0], &v[0], &att[0], n8, stride, len(att))
}

// q8dot4 returns four rows' Q8_0 dot products with the quantized x (see
// q8dot4AVX2): rows w0..w3 and x hold groups·gs values (gs a multiple of
// 32, groups > 0), ws the rows' scales interleaved (4·groups), xs x's.
func q8dot4(w0, w1, w2, w3 []int8, ws []float32, xq []int8, xs []float32, groups, gs int) (out [4]float32) {
	n := groups * gs
	_, _, _, _, _ = w0[n-1], w1[n-1], w2[n-1], w3[n-1], xq[n-1]
	_, _ = ws[4*groups-1], xs[groups-1]
	q8dot4AVX2(&w0[0], &w1[0], &w2[0], &w3[0], &ws[0], &xq[0], &xs[0], groups, gs, &out)
	return out
}

// quantizeFast quantizes x into xq and xs as scalar.Quantize does, gs a
// multiple of 32, and reports true; or false, leaving xq and xs
// undefined, where the assembly may differ from the reference (a NaN in
// x, a group whose scale is zero, subnormal or infinite) and the caller
// must use scalar.Quantize.
func quantizeFast(xq []int8, xs []float32, x []float32, gs int) bool {
	groups := len(x) / gs
	if groups == 0 {
		return true
	}
	_, _ = xq[groups*gs-1], xs[groups-1]
	if quantizeAVX2(&xq[0], &xs[0], &x[0], groups, gs) {
		return false
	}
	for _, s := range xs[:groups] {
		if !(s >= 0x1p-126 && s <= math.MaxFloat32) {
			return false
		}
	}
	return true
}

// scaleMul sets out[i] = w[i]·(s·x[i]) over len(x) (out and w at least
// as long); out may be x.
func scaleMul(out, w, x []float32, s float32) {
	if len(x) == 0 {
		return
	}
	_, _ = out[len(x)-1], w[len(x)-1]
	scaleMulAVX2(&out[0], &w[0], &x[0], s, len(x))
}

//go:noescape
func panelMatmulAVX2(out, panels, x *float32, cols, blocks int)

//go:noescape
func panel4MatmulAVX2(out, panels, x *float32, cols int)

// panelMatmul4 is panelMatmul for half a block: the 32 rows of 4 panels.
func panelMatmul4(out, panels, x []float32) {
	n := len(x)
	if n == 0 {
		clear(out[:panelRows/2])
		return
	}
	_, _ = out[panelRows/2-1], panels[panelRows/2*n-1]
	panel4MatmulAVX2(&out[0], &panels[0], &x[0], n)
}

// panelMatmul sets out[i] = Σ_j W[i][j]·x[j] for the 64·blocks rows of
// blocks of panels (see panels.go), each sum the reference's: from +0, j
// in order, the product rounded and then the sum; len(x) columns, which
// may be 0.
func panelMatmul(out, panels, x []float32, blocks int) {
	n := len(x)
	if n == 0 {
		clear(out[:panelRows*blocks])
		return
	}
	_, _ = out[panelRows*blocks-1], panels[panelRows*blocks*n-1]
	panelMatmulAVX2(&out[0], &panels[0], &x[0], n, blocks)
}

//go:noescape
func q8PanelAVX2(out *float32, panels *int8, s32 *float32, xq *int8, xs *float32, cols, gs, blocks int)

// q8PanelMatmul computes the 32·blocks rows of blocks of Q8_0 panels (see
// q8panels.go) against x quantized into xq (len(xq) columns, gs a
// multiple of 32 dividing it, no value -128) and xs: runq.c's arithmetic,
// each group's exact int32 sum converted, times the row's scale, times
// x's, added to the row's sum in group order from +0.
func q8PanelMatmul(out []float32, panels []int8, s32 []float32, xq []int8, xs []float32, gs, blocks int) {
	n := len(xq)
	groups := n / gs
	if groups == 0 {
		clear(out[:q8PanelRows*blocks])
		return
	}
	_, _, _ = out[q8PanelRows*blocks-1], panels[q8PanelRows*blocks*n-1], s32[q8PanelRows*blocks*groups-1]
	_ = xs[groups-1]
	q8PanelAVX2(&out[0], &panels[0], &s32[0], &xq[0], &xs[0], n, gs, blocks)
}

//go:noescape
func divAVX2(x *float32, s float32, n int)

// divAll sets x[i] = x[i] / s for every element of x.
func divAll(x []float32, s float32) {
	if len(x) == 0 {
		return
	}
	divAVX2(&x[0], s, len(x))
}

//go:noescape
func q8Panel2AVX2(out *float32, panels *int8, s32 *float32, xq *int8, xs *float32, cols, gs int)

// q8PanelMatmul2 is q8PanelMatmul for half a block: the 16 rows of 2
// panels, s32 at their scales within the block (groups 32 floats apart).
func q8PanelMatmul2(out []float32, panels []int8, s32 []float32, xq []int8, xs []float32, gs int) {
	n := len(xq)
	groups := n / gs
	if groups == 0 {
		clear(out[:q8PanelUnit])
		return
	}
	_, _, _ = out[q8PanelUnit-1], panels[q8PanelUnit*n-1], s32[(groups-1)*q8PanelRows+q8PanelUnit-1]
	_ = xs[groups-1]
	q8Panel2AVX2(&out[0], &panels[0], &s32[0], &xq[0], &xs[0], n, gs)
}

//go:noescape
func readAVX2(p *float32, n int) float32
