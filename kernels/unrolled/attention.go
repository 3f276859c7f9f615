package unrolled

import "github.com/retrollama/retrollama/kernels/scalar"

// Attention implements kernels.Attention. The q·k scores are unrolled dot
// products; the softmax and the weighted sum of values are scalar's
// arithmetic in scalar's order (the value sum is elementwise, so it has no
// order to change).
func (p *Provider) Attention(out, q, keys, values []float32, pos int) error {
	s := p.shape
	headSize, kvDim := s.HeadSize(), s.KVDim()
	kvMul := s.Heads / s.KVHeads
	scale := sqrtf(float32(headSize))
	for h := range s.Heads {
		qh := q[h*headSize : (h+1)*headSize]
		att := p.att[h*s.SeqLen : h*s.SeqLen+pos+1]
		kvOff := (h / kvMul) * headSize
		for t := range att {
			o := t*kvDim + kvOff
			att[t] = p.dot(qh, keys[o:o+headSize:o+headSize]) / scale
		}
		scalar.SoftmaxInPlace(att)
		xb := out[h*headSize : (h+1)*headSize]
		clear(xb)
		for t, a := range att {
			o := t*kvDim + kvOff
			v := values[o : o+headSize : o+headSize]
			v = v[:len(xb)]
			for i := range xb {
				xb[i] += float32(a * v[i])
			}
		}
	}
	return nil
}
