package workpool

// Start returns the pool a provider should split its ops over: shared
// when the caller handed it one, else a new pool of n workers (as New).
//
// Why share: the providers of one dispatch table take turns (avx2 runs a
// matmul, unroll8 the SwiGLU after it), and each pool's idle workers spin
// for SpinFor before parking. Two pools on two cores are three spinning
// goroutines for two threads, so a call often finds its worker off the
// CPU; one pool per table keeps exactly one worker per spare core.
// Why: RATIONALE.md, section "AVX2 provider and the worker pool".
func Start(shared *Pool, n int) *Pool {
	if shared != nil {
		return shared
	}
	return New(n)
}

// Stop closes p unless it is shared, which its owner closes; the pair of
// Start. Either may be nil.
func Stop(p, shared *Pool) {
	if p != nil && p != shared {
		p.Close()
	}
}
