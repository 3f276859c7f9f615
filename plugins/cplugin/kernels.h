//go:build cgo

// (The constraint above is for the go command: without cgo the package
// is nocgo.go alone, and a directory holding C files is refused.)
//
// The C kernels of the cplugin plugin: one function per op of the
// kernel contract (kernels/kernels.go), with the semantics of the scalar
// reference (kernels/scalar). Sizes are int64_t and every pointer is only
// read or written for the duration of the call: nothing is kept, so Go
// may pass its own slices (cgo's pointer rules). The caller (main.go)
// checks every size; these functions trust them.

#ifndef RL_CEXAMPLE_KERNELS_H
#define RL_CEXAMPLE_KERNELS_H

#include <stdint.h>

// rl_matmul_f32 sets out[i] = Σ_j w[i·n + j]·x[j] for i < d, each row
// summed in j's order from +0 as the reference sums it (one vector lane
// per row): the reference's bits.
void rl_matmul_f32(float *out, const float *x, const float *w, int64_t n, int64_t d);

// rl_quantize is the reference's Quantize: x (n values) in groups of gs
// into q and one scale per group in scales. gs divides n.
void rl_quantize(int8_t *q, float *scales, const float *x, int64_t n, int64_t gs);

// rl_matmul_q8 is runq.c's matmul of d rows of n int8 values wq (scales
// ws, one per gs values) by x already quantized into xq and xs: the
// reference's bits. gs divides n and gs·128·128 < 2^31.
void rl_matmul_q8(float *out, const int8_t *xq, const float *xs, const int8_t *wq, const float *ws, int64_t n,
                  int64_t d, int64_t gs);

// rl_rmsnorm sets out[j] = w[j]·(x[j]·ss) for j < n, ss =
// 1/sqrtf(Σx²/n + 1e-5); out may be x.
void rl_rmsnorm(float *out, const float *x, const float *w, int64_t n);

// rl_rope rotates the pairs (v[i], v[i+1]), i < n (n even), of q (nq
// values) and of k (nk ≤ nq values) by the angle of the pair i mod
// period: cs holds 2·period floats, cos, -sin, cos, sin for each pair.
void rl_rope(float *q, int64_t nq, float *k, int64_t nk, const float *cs, int64_t period);

// rl_attention is the reference's attention at pos for heads query heads
// sharing kv_heads key/value heads of head_size floats; keys and values
// hold rows 0..pos of kv_heads·head_size floats; att is scratch of pos+1
// floats.
void rl_attention(float *out, const float *q, const float *keys, const float *values, float *att, int64_t pos,
                  int64_t heads, int64_t kv_heads, int64_t head_size);

// rl_swiglu sets gate[i] = silu(gate[i])·up[i] for i < n.
void rl_swiglu(float *gate, const float *up, int64_t n);

// rl_softmax is the reference's softmax of x (n values), in place.
void rl_softmax(float *x, int64_t n);

// rl_expf is glibc's expf as kernels/mathf.Exp computes it, for the tests.
float rl_expf(float x);

// rl_contracts reports whether this file was compiled fusing a·b + c
// into a fused multiply-add (the build then breaks bit-exactness).
int rl_contracts(void);

// rl_build describes the compiler and the instruction sets it targeted.
const char *rl_build(void);

#endif
