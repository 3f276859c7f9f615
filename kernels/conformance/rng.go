package conformance

import "hash/fnv"

// rng is splitmix64: tiny, fast, and the same on every platform, so a
// failure seen anywhere reproduces everywhere.
type rng struct{ state uint64 }

// newRNG returns a generator for one call, seeded from the suite's seed
// and the call's label so that inputs do not depend on which other calls
// ran.
func newRNG(seed uint64, label string) *rng {
	h := fnv.New64a()
	h.Write([]byte(label))
	return &rng{state: seed ^ h.Sum64()}
}

// next returns the next 64 random bits.
func (r *rng) next() uint64 {
	r.state += 0x9E3779B97F4A7C15
	z := r.state
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	return z ^ z>>31
}

// uniform returns n values uniform in [lo, hi).
func (r *rng) uniform(n int, lo, hi float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		u := float32(r.next()>>40) / (1 << 24) // 24 random bits: exact in float32
		v[i] = lo + (hi-lo)*u
	}
	return v
}
