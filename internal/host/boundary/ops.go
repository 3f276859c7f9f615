package boundary

import "github.com/retrollama/retrollama/kernels"

// MatMul implements kernels.MatMul.
func (p *Core) MatMul(out []float32, h kernels.Weight, x []float32) error {
	w, err := p.weightOf(h)
	if err != nil {
		return err
	}
	c := p.begin(kernels.MatMul, w, w.Cols, w.Rows, 0)
	if len(x) < c.N || len(out) < c.M {
		return p.badCall(c, "x has %d values, out %d", len(x), len(out))
	}
	return p.cross(c,
		func(st *Staging) { copy(st.In, x[:c.N]) },
		func(st *Staging) { copy(out[:c.M], st.Out) })
}

// RMSNorm implements kernels.RMSNorm.
func (p *Core) RMSNorm(out, x []float32, h kernels.Weight) error {
	w, err := p.weightOf(h)
	if err != nil {
		return err
	}
	n := len(x)
	c := p.begin(kernels.RMSNorm, w, n, 0, 0)
	if w.Rows*w.Cols != n || len(out) < n {
		return p.badCall(c, "weight %v %d×%d, x %d values, out %d", w.DType, w.Rows, w.Cols, n, len(out))
	}
	return p.cross(c,
		func(st *Staging) { copy(st.In, x) },
		func(st *Staging) { copy(out[:n], st.Out) })
}

// RoPE implements kernels.RoPE; q and k are unchanged when it fails.
func (p *Core) RoPE(q, k []float32, pos int) error {
	c := p.begin(kernels.RoPE, nil, len(q), len(k), pos)
	if pos < 0 {
		return p.badCall(c, "outside the shape of Init (%+v)", c.Shape)
	}
	return p.cross(c,
		func(st *Staging) { copy(st.Q, q); copy(st.K, k) },
		func(st *Staging) { copy(q, st.Q); copy(k, st.K) })
}

// Attention implements kernels.Attention. Rows 0..pos of the caches are
// copied in at every call (at stories15M's 256 positions that is at most
// 590 KB per layer, a few per cent of the call), unless the transport
// reads them in place.
func (p *Core) Attention(out, q, keys, values []float32, pos int) error {
	s := p.call.Shape
	rows := (pos + 1) * s.KVDim()
	c := p.begin(kernels.Attention, nil, s.Dim, rows, pos)
	if pos < 0 || pos >= s.SeqLen || len(q) < s.Dim || len(out) < s.Dim || len(keys) < rows || len(values) < rows {
		return p.badCall(c, "outside the shape of Init (%+v) or short buffers", s)
	}
	c.Keys, c.Values = keys[:rows], values[:rows]
	return p.cross(c,
		func(st *Staging) {
			copy(st.Q, q[:s.Dim])
			if !c.InPlace {
				copy(st.Keys, c.Keys)
				copy(st.Values, c.Values)
			}
		},
		func(st *Staging) { copy(out[:s.Dim], st.Out) })
}

// SwiGLU implements kernels.SwiGLU; gate is unchanged when it fails.
func (p *Core) SwiGLU(gate, up []float32) error {
	n := len(gate)
	c := p.begin(kernels.SwiGLU, nil, n, 0, 0)
	if len(up) < n {
		return p.badCall(c, "up has %d values, gate %d", len(up), n)
	}
	return p.cross(c,
		func(st *Staging) { copy(st.Gate, gate); copy(st.Up, up[:n]) },
		func(st *Staging) { copy(gate, st.Gate) })
}

// Softmax implements kernels.Softmax; x is unchanged when it fails.
func (p *Core) Softmax(x []float32) error {
	c := p.begin(kernels.Softmax, nil, len(x), 0, 0)
	return p.cross(c,
		func(st *Staging) { copy(st.Out, x) },
		func(st *Staging) { copy(x, st.Out) })
}
