package synthetic

// rng is xorshift64*: tiny, fast and fully deterministic across platforms,
// which is all synthetic weights need.
type rng struct{ s uint64 }

// newRNG seeds a generator; the seed is scrambled with splitmix64's
// finaliser so that small or zero seeds still give a nonzero state.
func newRNG(seed uint64) *rng {
	z := seed + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	if z == 0 {
		z = 1
	}
	return &rng{s: z}
}

// fill sets every element of dst to center + a uniform value in
// [-scale, scale), built from the top 24 bits of each xorshift64* draw so
// the uniform value is exact in float32 and identical on every platform. The explicit float32
// conversions forbid fused multiply-adds, which would change the rounding
// on some architectures.
func (r *rng) fill(dst []float32, center, scale float32) {
	const unit = 1.0 / (1 << 23) // maps 0..2^24-1 onto [0, 2)
	s := r.s                     // a local copy keeps the state in a register
	for i := range dst {
		s ^= s >> 12
		s ^= s << 25
		s ^= s >> 27
		bits := int32((s * 0x2545f4914f6cdd1d) >> 40) // 24 bits; int32 converts faster than uint64
		u := float32(float32(bits)*unit) - 1
		dst[i] = center + float32(u*scale)
	}
	r.s = s
}
