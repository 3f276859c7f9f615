//go:build cgo

// (The constraint above is for the go command, as in kernels.h.)
//
// The scalar reference's Quantize (runq.c's quantize) in C, for the two C
// kernel builds, like expf_glibc.h: the cgo plugin (kernels.c here) and
// the SIMD128 WASM module (plugins/wasm/simd128/kernels.c), which
// includes it by its relative path. Compiler builtins only, so it builds
// without libc; ptrdiff_t is each target's native index width.

#ifndef RL_QUANTIZE_REF_H
#define RL_QUANTIZE_REF_H

#include <stddef.h>
#include <stdint.h>

// round8 is the reference's round8, C's (int8_t) round(v) on x86-64:
// round half away from zero (v - trunc(v) is exact in float, and a float
// rounds the same in double), 0 for NaN and anything outside int32's
// range, else the low byte.
static inline int8_t round8(float v) {
	float t = __builtin_truncf(v);
	if (__builtin_fabsf(v - t) >= 0.5f)
		t += __builtin_copysignf(1.0f, v);
	if (!(__builtin_fabsf(t) < 2147483648.0f))
		return 0;
	return (int8_t)(uint8_t)(uint32_t)(int32_t)t;
}

// quantize_ref is the reference's Quantize: x (n values) in groups of gs
// into q, each group's scale, max |x| / 127, in scales. gs divides n.
static void quantize_ref(int8_t *q, float *scales, const float *x, ptrdiff_t n, ptrdiff_t gs) {
	for (ptrdiff_t g = 0; g < n / gs; g++) {
		const float *group = x + g * gs;
		float wmax = 0.0f;
		for (ptrdiff_t i = 0; i < gs; i++) {
			float a = __builtin_fabsf(group[i]);
			if (a > wmax)
				wmax = a;
		}
		float scale = wmax / 127.0f;
		scales[g] = scale;
		for (ptrdiff_t i = 0; i < gs; i++)
			q[g * gs + i] = round8(group[i] / scale);
	}
}

#endif
