//go:build !amd64

package avx2

// hasAVX2 is false off amd64: the provider declines every op. The pure-Go
// forms below keep the package building everywhere; they compute what the
// assembly computes, bit for bit (the conversions forbid fused
// multiply-adds).
const hasAVX2 = false

func matmulGroups(out, w, x []float32, n8, stride, groups int) {
	for r := range 8 * groups {
		var s float32
		for j, v := range w[r*stride : r*stride+n8] {
			s += float32(v * x[j])
		}
		out[r] = s
	}
}

func panelMatmul(out, panels, x []float32, blocks int) {
	n := len(x)
	for r := range panelRows * blocks {
		p := panels[(r/8)*8*n+r%8:]
		var s float32
		for j, v := range x {
			s += float32(p[8*j] * v)
		}
		out[r] = s
	}
}

func panelMatmul4(out, panels, x []float32) {
	n := len(x)
	for r := range panelRows / 2 {
		p := panels[(r/8)*8*n+r%8:]
		var s float32
		for j, v := range x {
			s += float32(p[8*j] * v)
		}
		out[r] = s
	}
}

func q8PanelMatmul2(out []float32, panels []int8, s32 []float32, xq []int8, xs []float32, gs int) {
	n := len(xq)
	for r := range q8PanelUnit {
		panel := panels[(r/8)*8*n:]
		var v float32
		for g := range n / gs {
			var d int32
			for j := g * gs; j < (g+1)*gs; j++ {
				d += int32(panel[32*(j/4)+4*(r%8)+j%4]) * int32(xq[j])
			}
			v += float32(float32(float32(d)*s32[g*q8PanelRows+r]) * xs[g])
		}
		out[r] = v
	}
}

func q8PanelMatmul(out []float32, panels []int8, s32 []float32, xq []int8, xs []float32, gs, blocks int) {
	q8PanelMatmulGo(out[:q8PanelRows*blocks], panels, s32, xq, xs, gs)
}

func divAll(x []float32, s float32) {
	for i := range x {
		x[i] /= s
	}
}

func wsum(out, v, att []float32, n8, stride int) {
	for i := range n8 {
		var s float32
		for t, a := range att {
			s += float32(v[t*stride+i] * a)
		}
		out[i] = s
	}
}

func q8dot4(w0, w1, w2, w3 []int8, ws []float32, xq []int8, xs []float32, groups, gs int) (out [4]float32) {
	rows := [4][]int8{w0, w1, w2, w3}
	for g := range groups {
		for r, w := range rows {
			var d int32
			for k := g * gs; k < (g+1)*gs; k++ {
				d += int32(w[k]) * int32(xq[k])
			}
			out[r] += float32(float32(float32(d)*ws[4*g+r]) * xs[g])
		}
	}
	return out
}

func scaleMul(out, w, x []float32, s float32) {
	for i, v := range x {
		out[i] = w[i] * float32(v*s)
	}
}

func quantizeFast(xq []int8, xs []float32, x []float32, gs int) bool { return false }
