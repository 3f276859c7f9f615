package unrolled

import "github.com/retrollama/retrollama/kernels/scalar"

// Attention implements kernels.Attention, bit-identical to the scalar
// reference. Each score q·k_t is one sequential sum over the head, as in
// run.c; p.rows runs 4 or 8 positions per pass, reading the key cache
// with its row width as the stride. The softmax is the reference's. The
// weighted sum of the values goes across the head's elements, which are
// independent, and adds the positions to each element in order, four per
// pass over out so that each out element is loaded and stored once per
// four positions instead of once per position.
func (p *Provider) Attention(out, q, keys, values []float32, pos int) error {
	s := p.shape
	headSize, kvDim := s.HeadSize(), s.KVDim()
	kvMul := s.Heads / s.KVHeads
	scale := sqrtf(float32(headSize))
	for h := range s.Heads {
		qh := q[h*headSize : (h+1)*headSize]
		att := p.att[h*s.SeqLen : h*s.SeqLen+pos+1]
		kvOff := (h / kvMul) * headSize
		p.rows(att, keys[kvOff:pos*kvDim+kvOff+headSize], kvDim, qh)
		for t := range att {
			att[t] /= scale // score / sqrt(head_size), rounded after the sum as in run.c
		}
		scalar.SoftmaxInPlace(att)
		xb := out[h*headSize : (h+1)*headSize]
		clear(xb)
		weightedSum(xb, att, values[kvOff:], kvDim)
	}
	return nil
}

// weightedSum adds att[t]·v_t to xb for t = 0, 1, ... in order, where v_t
// is values[t·stride : t·stride+len(xb)]: for every element i,
// xb[i] + a_0·v_0[i] + a_1·v_1[i] + ..., each product rounded before it is
// added, exactly as run.c's loop over t then i.
func weightedSum(xb, att, values []float32, stride int) {
	n := len(xb)
	t := 0
	for ; t+4 <= len(att); t += 4 {
		a := att[t : t+4 : t+4]
		a0, a1, a2, a3 := a[0], a[1], a[2], a[3]
		o := t * stride
		v0 := values[o : o+n : o+n]
		v1 := values[o+stride : o+stride+n : o+stride+n]
		v2 := values[o+2*stride : o+2*stride+n : o+2*stride+n]
		v3 := values[o+3*stride : o+3*stride+n : o+3*stride+n]
		v0, v1, v2, v3 = v0[:len(xb)], v1[:len(xb)], v2[:len(xb)], v3[:len(xb)]
		for i, acc := range xb {
			acc += float32(a0 * v0[i])
			acc += float32(a1 * v1[i])
			acc += float32(a2 * v2[i])
			acc += float32(a3 * v3[i])
			xb[i] = acc
		}
	}
	for ; t < len(att); t++ {
		a, o := att[t], t*stride
		v := values[o : o+n : o+n]
		v = v[:len(xb)]
		for i := range xb {
			xb[i] += float32(a * v[i])
		}
	}
}
