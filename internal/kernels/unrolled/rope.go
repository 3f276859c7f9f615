package unrolled

import (
	"github.com/retrollama/retrollama/kernels/mathf"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// ropeFrequencies returns, for every offset d within a head, the rotation
// frequency 1/10000^(d/headSize) of the pair starting there, computed
// exactly as the scalar reference computes it on every call; made once at
// Init. Odd offsets are only used when headSize is odd.
func ropeFrequencies(headSize int) []float32 {
	freq := make([]float32, headSize)
	for d := range freq {
		freq[d] = 1 / mathf.Pow(10000, float32(d)/float32(headSize))
	}
	return freq
}

// RoPE implements kernels.RoPE, bit-identical to the scalar reference:
// the same cosines and sines (glibc's cosf and sinf of the same angles),
// computed at the first call for a position and reused by the other
// layers' calls at that position, then scalar.RotatePairs.
func (p *Provider) RoPE(q, k []float32, pos int) error {
	headSize := p.shape.HeadSize()
	if pos != p.ropePos {
		for d := range headSize {
			angle := float32(pos) * p.freq[d]
			p.cos[d], p.sin[d] = mathf.Cos(angle), mathf.Sin(angle)
		}
		p.ropePos = pos
	}
	scalar.RotatePairs(q, k, p.cos, p.sin)
	return nil
}
