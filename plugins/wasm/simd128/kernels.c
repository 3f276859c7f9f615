//go:build ignore

// (The constraint above is for the go command, which refuses a package
// directory holding C files without cgo: this file is built by build.sh,
// never by go build.)
//
// SIMD128 kernels for retrollama's WASM kernel ABI, version 1
// (plugins/wasm/ABI.md). Every export of the ABI is here.
//
// Exactness against kernels/scalar, the reference:
//   - rl_matmul_q8_0, rl_rmsnorm, rl_rope, rl_attention, rl_swiglu and
//     rl_softmax give its bits exactly: every float32 operation is done in
//     the reference's order and rounded as it rounds (WebAssembly has no
//     fused multiply-add and build.sh passes -ffp-contract=off), and SIMD
//     lanes hold independent sums (four outputs, four attention scores,
//     four rows' Q8_0 groups) or exact integer sums. So a Q8_0 model on
//     this module alone gives runq.c's exact output.
//   - rl_matmul_f32 sums each row in a different order (partial sums in
//     the lanes of vectors), for speed; it differs from the reference by a
//     few float32 rounding errors.
//   - expf is glibc's algorithm as internal/mathf.Exp writes it, its fused
//     multiply-adds emulated in double with an exact product, an exact sum
//     and a round-to-odd addition (Boldo & Melquiond), so each is
//     correctly rounded like a hardware FMA; expf4 runs the same steps in
//     f64x2 lanes. Both give mathf.Exp's bits on all 2^32 float32 inputs
//     (simd128_test.go's TestExp with RETROLLAMA_WASM_EXHAUSTIVE=1).
//
// No libc and no imports: build with build.sh.

#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(name), visibility("default")))

typedef uint32_t size32;

// ---------------------------------------------------------------------
// Memory: a bump allocator over __heap_base.

extern unsigned char __heap_base;

static unsigned char *heap_next = &__heap_base;

EXPORT("rl_abi_version") int32_t rl_abi_version(void) { return 1; }

// rl_alloc returns the offset of size fresh bytes (size read as unsigned),
// 16-byte aligned, or 0 when memory cannot grow that far.
EXPORT("rl_alloc") uint32_t rl_alloc(uint32_t size) {
	uint64_t start = ((uint64_t)(uintptr_t)heap_next + 15) & ~(uint64_t)15;
	uint64_t end = start + size;
	if (end > 0xFFFFFFF0u) // beyond a 32-bit address space
		return 0;
	uint64_t have = (uint64_t)__builtin_wasm_memory_size(0) << 16;
	if (end > have) {
		uint64_t pages = (end - have + 0xFFFF) >> 16;
		if (__builtin_wasm_memory_grow(0, (uintptr_t)pages) == (uintptr_t)-1)
			return 0;
	}
	heap_next = (unsigned char *)(uintptr_t)end;
	return (uint32_t)start;
}

// rl_init accepts any shape the reference accepts whose heads divide
// evenly.
EXPORT("rl_init")
int32_t rl_init(int32_t dim, int32_t hidden_dim, int32_t heads, int32_t kv_heads, int32_t seq_len, int32_t vocab_size) {
	if (dim < 0 || hidden_dim < 0 || vocab_size < 0 || heads <= 0 || kv_heads <= 0 || seq_len <= 0)
		return 1;
	if (heads % kv_heads != 0 || dim % heads != 0)
		return 1;
	return 0;
}

// ---------------------------------------------------------------------
// Helpers.

static inline uint32_t f2u(float x) { return __builtin_bit_cast(uint32_t, x); }
static inline uint64_t d2u(double x) { return __builtin_bit_cast(uint64_t, x); }
static inline double u2d(uint64_t x) { return __builtin_bit_cast(double, x); }

// hsum4 returns {Σa, Σb, Σc, Σd} of four f32x4 vectors.
static inline v128_t hsum4_f32(v128_t a, v128_t b, v128_t c, v128_t d) {
	v128_t ab = wasm_f32x4_add(wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), wasm_i32x4_shuffle(a, b, 2, 6, 3, 7));
	v128_t cd = wasm_f32x4_add(wasm_i32x4_shuffle(c, d, 0, 4, 1, 5), wasm_i32x4_shuffle(c, d, 2, 6, 3, 7));
	return wasm_f32x4_add(wasm_i32x4_shuffle(ab, cd, 0, 1, 4, 5), wasm_i32x4_shuffle(ab, cd, 2, 3, 6, 7));
}

// hsum4_i32 is hsum4_f32 for i32x4 (wrapping sums).
static inline v128_t hsum4_i32(v128_t a, v128_t b, v128_t c, v128_t d) {
	v128_t ab = wasm_i32x4_add(wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), wasm_i32x4_shuffle(a, b, 2, 6, 3, 7));
	v128_t cd = wasm_i32x4_add(wasm_i32x4_shuffle(c, d, 0, 4, 1, 5), wasm_i32x4_shuffle(c, d, 2, 6, 3, 7));
	return wasm_i32x4_add(wasm_i32x4_shuffle(ab, cd, 0, 1, 4, 5), wasm_i32x4_shuffle(ab, cd, 2, 3, 6, 7));
}

static inline float hsum_f32(v128_t a) {
	v128_t s = wasm_f32x4_add(a, wasm_i32x4_shuffle(a, a, 2, 3, 0, 1));
	s = wasm_f32x4_add(s, wasm_i32x4_shuffle(s, s, 1, 0, 3, 2));
	return wasm_f32x4_extract_lane(s, 0);
}

static inline uint32_t hsum_i32(v128_t a) {
	v128_t s = wasm_i32x4_add(a, wasm_i32x4_shuffle(a, a, 2, 3, 0, 1));
	s = wasm_i32x4_add(s, wasm_i32x4_shuffle(s, s, 1, 0, 3, 2));
	return (uint32_t)wasm_i32x4_extract_lane(s, 0);
}

// ---------------------------------------------------------------------
// expf: glibc's, as internal/mathf.Exp.

// Error-free transformations in double. two_sum: s + *e == a + b exactly.
static inline double two_sum(double a, double b, double *e) {
	double s = a + b;
	double bb = s - a;
	*e = (a - (s - bb)) + (b - bb);
	return s;
}

// two_prod: p + *e == a·b exactly (Dekker, Veltkamp's split), when nothing
// overflows or underflows, as for expf's arguments.
static inline double two_prod(double a, double b, double *e) {
	const double split = 134217729.0; // 2^27 + 1
	double p = a * b;
	double t = split * a;
	double ah = t - (t - a), al = a - ah;
	t = split * b;
	double bh = t - (t - b), bl = b - bh;
	*e = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
	return p;
}

// fma_emul is fma(a, b, c), correctly rounded: Boldo & Melquiond's
// emulation, RN(th + RO(tl + ul)) where uh + ul = a·b and th + tl = c + uh
// exactly and RO rounds to odd. Valid without overflow or underflow.
static inline double fma_emul(double a, double b, double c) {
	double ul, tl, e;
	double uh = two_prod(a, b, &ul);
	double th = two_sum(c, uh, &tl);
	double v = two_sum(tl, ul, &e);
	if (e != 0) {
		uint64_t vb = d2u(v);
		if ((vb & 1) == 0) // inexact and even: take the odd neighbour on e's side
			v = u2d((v > 0) == (e > 0) ? vb + 1 : vb - 1);
	}
	return th + v;
}

// exp2_table holds bits(2^(i/32)) - i<<47.
static const uint64_t exp2_table[32] = {
	0x3ff0000000000000, 0x3fefd9b0d3158574, 0x3fefb5586cf9890f, 0x3fef9301d0125b51,
	0x3fef72b83c7d517b, 0x3fef54873168b9aa, 0x3fef387a6e756238, 0x3fef1e9df51fdee1,
	0x3fef06fe0a31b715, 0x3feef1a7373aa9cb, 0x3feedea64c123422, 0x3feece086061892d,
	0x3feebfdad5362a27, 0x3feeb42b569d4f82, 0x3feeab07dd485429, 0x3feea47eb03a5585,
	0x3feea09e667f3bcd, 0x3fee9f75e8ec5f74, 0x3feea11473eb0187, 0x3feea589994cce13,
	0x3feeace5422aa0db, 0x3feeb737b0cdc5e5, 0x3feec49182a3f090, 0x3feed503b23e255d,
	0x3feee89f995ad3ad, 0x3feeff76f2fb5e47, 0x3fef199bdd85529c, 0x3fef3720dcef9069,
	0x3fef5818dcfba487, 0x3fef7c97337b9b5f, 0x3fefa4afa2a490da, 0x3fefd0765b6e4540,
};

static float expf_glibc(float x) {
	const double inv_ln2_n = 0x1.71547652b82fep+5; // 32/ln 2
	const double shift = 0x1.8p+52;
	const double c0 = 0x1.c6af84b912394p-20; // 0x1.c6af84b912394p-5 / 32^3
	const double c1 = 0x1.ebfce50fac4f3p-13; // 0x1.ebfce50fac4f3p-3 / 32^2
	const double c2 = 0x1.62e42ff0c52d6p-6;  // 0x1.62e42ff0c52d6p-1 / 32
	uint32_t abstop = (f2u(x) >> 20) & 0x7ff;
	if (abstop >= (f2u(88.0f) >> 20)) {
		if (f2u(x) == 0xff800000u) // -Inf
			return 0.0f;
		if (abstop >= (0x7f800000u >> 20)) // NaN or +Inf
			return x + x;
		if (x > 0x1.62e42ep6f)
			return __builtin_inff();
		if (x < -0x1.9fe368p6f)
			return 0.0f;
	}
	double z = inv_ln2_n * (double)x;
	double kd = z + shift;
	uint64_t ki = d2u(kd);
	kd -= shift;
	double r = z - kd;
	double s = u2d(exp2_table[ki % 32] + (ki << 47));
	double zz = fma_emul(c0, r, c1);
	double r2 = r * r;
	double y = fma_emul(c2, r, 1.0);
	y = fma_emul(zz, r2, y);
	return (float)(y * s);
}

// The same in f64x2 lanes: expf of four floats at once, bit-identical to
// expf_glibc on each.

static inline v128_t two_sum2(v128_t a, v128_t b, v128_t *e) {
	v128_t s = wasm_f64x2_add(a, b);
	v128_t bb = wasm_f64x2_sub(s, a);
	*e = wasm_f64x2_add(wasm_f64x2_sub(a, wasm_f64x2_sub(s, bb)), wasm_f64x2_sub(b, bb));
	return s;
}

static inline v128_t two_prod2(v128_t a, v128_t b, v128_t *e) {
	const v128_t split = wasm_f64x2_splat(134217729.0);
	v128_t p = wasm_f64x2_mul(a, b);
	v128_t t = wasm_f64x2_mul(split, a);
	v128_t ah = wasm_f64x2_sub(t, wasm_f64x2_sub(t, a)), al = wasm_f64x2_sub(a, ah);
	t = wasm_f64x2_mul(split, b);
	v128_t bh = wasm_f64x2_sub(t, wasm_f64x2_sub(t, b)), bl = wasm_f64x2_sub(b, bh);
	*e = wasm_f64x2_add(wasm_f64x2_add(wasm_f64x2_add(wasm_f64x2_sub(wasm_f64x2_mul(ah, bh), p), wasm_f64x2_mul(ah, bl)),
	                                   wasm_f64x2_mul(al, bh)),
	                    wasm_f64x2_mul(al, bl));
	return p;
}

static inline v128_t fma_emul2(v128_t a, v128_t b, v128_t c) {
	const v128_t one = wasm_i64x2_splat(1);
	v128_t ul, tl, e;
	v128_t uh = two_prod2(a, b, &ul);
	v128_t th = two_sum2(c, uh, &tl);
	v128_t v = two_sum2(tl, ul, &e);
	// Round to odd: where inexact and even, step one ulp toward e: +1 on
	// the bits when v and e have the same sign, else -1.
	v128_t fix = wasm_v128_and(wasm_f64x2_ne(e, wasm_f64x2_splat(0)), wasm_i64x2_eq(wasm_v128_and(v, one), wasm_i64x2_splat(0)));
	v128_t step = wasm_v128_or(wasm_i64x2_shr(wasm_v128_xor(v, e), 63), one);
	v = wasm_i64x2_add(v, wasm_v128_and(step, fix));
	return wasm_f64x2_add(th, v);
}

// expd2 is expf_glibc's main path on two arguments promoted to double;
// the results are in lanes 0 and 1.
static inline v128_t expd2(v128_t x) {
	const double c0 = 0x1.c6af84b912394p-20, c1 = 0x1.ebfce50fac4f3p-13, c2 = 0x1.62e42ff0c52d6p-6;
	const v128_t shift = wasm_f64x2_splat(0x1.8p+52);
	v128_t z = wasm_f64x2_mul(wasm_f64x2_splat(0x1.71547652b82fep+5), x);
	v128_t kd = wasm_f64x2_add(z, shift);
	v128_t ki = kd;
	kd = wasm_f64x2_sub(kd, shift);
	v128_t r = wasm_f64x2_sub(z, kd);
	v128_t t = wasm_i64x2_make((int64_t)exp2_table[wasm_i64x2_extract_lane(ki, 0) & 31],
	                           (int64_t)exp2_table[wasm_i64x2_extract_lane(ki, 1) & 31]);
	v128_t s = wasm_i64x2_add(t, wasm_i64x2_shl(ki, 47));
	v128_t zz = fma_emul2(wasm_f64x2_splat(c0), r, wasm_f64x2_splat(c1));
	v128_t r2 = wasm_f64x2_mul(r, r);
	v128_t y = fma_emul2(wasm_f64x2_splat(c2), r, wasm_f64x2_splat(1.0));
	y = fma_emul2(zz, r2, y);
	return wasm_f32x4_demote_f64x2_zero(wasm_f64x2_mul(y, s));
}

// expf4 is expf_glibc on each lane of x.
static inline v128_t expf4(v128_t x) {
	v128_t abstop = wasm_v128_and(wasm_u32x4_shr(x, 20), wasm_i32x4_splat(0x7ff));
	if (wasm_v128_any_true(wasm_u32x4_ge(abstop, wasm_i32x4_splat(0x42b)))) // |x| >= 88, Inf or NaN
		return wasm_f32x4_make(expf_glibc(wasm_f32x4_extract_lane(x, 0)), expf_glibc(wasm_f32x4_extract_lane(x, 1)),
		                       expf_glibc(wasm_f32x4_extract_lane(x, 2)), expf_glibc(wasm_f32x4_extract_lane(x, 3)));
	v128_t lo = expd2(wasm_f64x2_promote_low_f32x4(x));
	v128_t hi = expd2(wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(x, x, 2, 3, 2, 3)));
	return wasm_i32x4_shuffle(lo, hi, 0, 1, 4, 5);
}

// rl_test_expf sets out[i] = expf(in[i]) for i < n, with expf4 when simd
// is not 0 (and expf_glibc on the last n%4); for the tests.
EXPORT("rl_test_expf") int32_t rl_test_expf(float *out, const float *in, int32_t n, int32_t simd) {
	int32_t i = 0;
	if (simd)
		for (; i + 4 <= n; i += 4)
			wasm_v128_store(out + i, expf4(wasm_v128_load(in + i)));
	for (; i < n; i++)
		out[i] = expf_glibc(in[i]);
	return 0;
}

// ---------------------------------------------------------------------
// MatMul, f32: eight rows at a time (one load of x serves eight
// multiply-adds), then four, then one.

static inline float dot_f32(const float *a, const float *b, int32_t n) {
	v128_t s0 = wasm_f32x4_splat(0), s1 = s0;
	int32_t j = 0;
	for (; j + 8 <= n; j += 8) {
		s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load(a + j), wasm_v128_load(b + j)));
		s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(wasm_v128_load(a + j + 4), wasm_v128_load(b + j + 4)));
	}
	if (j + 4 <= n) {
		s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load(a + j), wasm_v128_load(b + j)));
		j += 4;
	}
	float sum = hsum_f32(wasm_f32x4_add(s0, s1));
	for (; j < n; j++)
		sum += a[j] * b[j];
	return sum;
}

EXPORT("rl_matmul_f32")
int32_t rl_matmul_f32(float *out, const float *x, const float *w, int32_t n, int32_t d) {
	if (n < 0 || d < 0)
		return 1;
	int32_t i = 0;
	for (; i + 8 <= d; i += 8) {
		const float *w0 = w + (size32)i * (size32)n;
		const float *w1 = w0 + n, *w2 = w1 + n, *w3 = w2 + n, *w4 = w3 + n, *w5 = w4 + n, *w6 = w5 + n, *w7 = w6 + n;
		v128_t a0 = wasm_f32x4_splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
		int32_t j = 0;
		for (; j + 4 <= n; j += 4) {
			v128_t x0 = wasm_v128_load(x + j);
			a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load(w0 + j), x0));
			a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(wasm_v128_load(w1 + j), x0));
			a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(wasm_v128_load(w2 + j), x0));
			a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(wasm_v128_load(w3 + j), x0));
			a4 = wasm_f32x4_add(a4, wasm_f32x4_mul(wasm_v128_load(w4 + j), x0));
			a5 = wasm_f32x4_add(a5, wasm_f32x4_mul(wasm_v128_load(w5 + j), x0));
			a6 = wasm_f32x4_add(a6, wasm_f32x4_mul(wasm_v128_load(w6 + j), x0));
			a7 = wasm_f32x4_add(a7, wasm_f32x4_mul(wasm_v128_load(w7 + j), x0));
		}
		v128_t s0 = hsum4_f32(a0, a1, a2, a3), s1 = hsum4_f32(a4, a5, a6, a7);
		for (; j < n; j++) {
			v128_t xj = wasm_f32x4_splat(x[j]);
			s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_f32x4_make(w0[j], w1[j], w2[j], w3[j]), xj));
			s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(wasm_f32x4_make(w4[j], w5[j], w6[j], w7[j]), xj));
		}
		wasm_v128_store(out + i, s0);
		wasm_v128_store(out + i + 4, s1);
	}
	if (i + 4 <= d) {
		const float *w0 = w + (size32)i * (size32)n;
		const float *w1 = w0 + n, *w2 = w1 + n, *w3 = w2 + n;
		v128_t a0 = wasm_f32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
		v128_t b0 = a0, b1 = a0, b2 = a0, b3 = a0;
		int32_t j = 0;
		for (; j + 8 <= n; j += 8) {
			v128_t x0 = wasm_v128_load(x + j), x1 = wasm_v128_load(x + j + 4);
			a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load(w0 + j), x0));
			a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(wasm_v128_load(w1 + j), x0));
			a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(wasm_v128_load(w2 + j), x0));
			a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(wasm_v128_load(w3 + j), x0));
			b0 = wasm_f32x4_add(b0, wasm_f32x4_mul(wasm_v128_load(w0 + j + 4), x1));
			b1 = wasm_f32x4_add(b1, wasm_f32x4_mul(wasm_v128_load(w1 + j + 4), x1));
			b2 = wasm_f32x4_add(b2, wasm_f32x4_mul(wasm_v128_load(w2 + j + 4), x1));
			b3 = wasm_f32x4_add(b3, wasm_f32x4_mul(wasm_v128_load(w3 + j + 4), x1));
		}
		if (j + 4 <= n) {
			v128_t x0 = wasm_v128_load(x + j);
			a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load(w0 + j), x0));
			a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(wasm_v128_load(w1 + j), x0));
			a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(wasm_v128_load(w2 + j), x0));
			a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(wasm_v128_load(w3 + j), x0));
			j += 4;
		}
		v128_t sum = hsum4_f32(wasm_f32x4_add(a0, b0), wasm_f32x4_add(a1, b1),
		                       wasm_f32x4_add(a2, b2), wasm_f32x4_add(a3, b3));
		if (j < n) {
			float t0 = 0, t1 = 0, t2 = 0, t3 = 0;
			for (; j < n; j++) {
				float xj = x[j];
				t0 += w0[j] * xj;
				t1 += w1[j] * xj;
				t2 += w2[j] * xj;
				t3 += w3[j] * xj;
			}
			sum = wasm_f32x4_add(sum, wasm_f32x4_make(t0, t1, t2, t3));
		}
		wasm_v128_store(out + i, sum);
		i += 4;
	}
	for (; i < d; i++)
		out[i] = dot_f32(w + (size32)i * (size32)n, x, n);
	return 0;
}

// ---------------------------------------------------------------------
// MatMul, Q8_0 (runq.c), bit-exact with the reference.

// round8 is the reference's round8: round half away from zero, 0 for NaN
// and anything outside int32's range, else the low byte.
static inline int8_t round8(float v) {
	float t = __builtin_truncf(v);
	if (__builtin_fabsf(v - t) >= 0.5f) // v - t is exact
		t += __builtin_copysignf(1.0f, v);
	if (!(__builtin_fabsf(t) < 2147483648.0f))
		return 0;
	return (int8_t)(uint8_t)(uint32_t)(int32_t)t;
}

// quantize is the reference's Quantize.
static void quantize(int8_t *q, float *scales, const float *x, int32_t n, int32_t gs) {
	for (int32_t g = 0; g < n / gs; g++) {
		const float *group = x + g * gs;
		float wmax = 0.0f;
		for (int32_t i = 0; i < gs; i++) {
			float a = __builtin_fabsf(group[i]);
			if (a > wmax)
				wmax = a;
		}
		float scale = wmax / 127.0f;
		scales[g] = scale;
		for (int32_t i = 0; i < gs; i++)
			q[g * gs + i] = round8(group[i] / scale);
	}
}

// dot_q8 is Σ a[k]·b[k] for k < len, wrapping in 32 bits.
static inline uint32_t dot_q8(const int8_t *a, const int8_t *b, int32_t len) {
	v128_t acc = wasm_i32x4_splat(0);
	int32_t k = 0;
	for (; k + 16 <= len; k += 16) {
		v128_t va = wasm_v128_load(a + k), vb = wasm_v128_load(b + k);
		acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(va), wasm_i16x8_extend_low_i8x16(vb)));
		acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(va), wasm_i16x8_extend_high_i8x16(vb)));
	}
	if (k + 8 <= len) {
		acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(a + k), wasm_i16x8_load8x8(b + k)));
		k += 8;
	}
	uint32_t s = hsum_i32(acc);
	for (; k < len; k++)
		s += (uint32_t)((int32_t)a[k] * (int32_t)b[k]);
	return s;
}

// q8_row is one output of the reference's matMulQ8, for any group size.
static inline float q8_row(const int8_t *xq, const float *xs, const int8_t *wq, const float *ws, int32_t n, int32_t gs) {
	float val = 0.0f;
	for (int32_t j = 0, g = 0; j < n; j += gs, g++) {
		int32_t ival = (int32_t)dot_q8(xq + j, wq + j, gs);
		val += ((float)ival * ws[g]) * xs[g];
	}
	return val;
}

EXPORT("rl_matmul_q8_0")
int32_t rl_matmul_q8_0(float *out, const float *x, const int8_t *wq, const float *ws, int32_t n, int32_t d, int32_t gs,
                       int8_t *xq, float *xs) {
	if (n < 0 || d < 0 || gs <= 0 || n % gs != 0)
		return 1;
	quantize(xq, xs, x, n, gs);
	int32_t groups = n / gs;
	int32_t i = 0;
	if (gs % 16 == 0) {
		// Four rows at a time; the float steps run in the four lanes of
		// one vector, each lane exactly the reference's sequence.
		for (; i + 4 <= d; i += 4) {
			const int8_t *r0 = wq + (size32)i * (size32)n;
			const int8_t *r1 = r0 + n, *r2 = r1 + n, *r3 = r2 + n;
			const float *s0 = ws + (size32)i * (size32)groups;
			const float *s1 = s0 + groups, *s2 = s1 + groups, *s3 = s2 + groups;
			v128_t val = wasm_f32x4_splat(0);
			for (int32_t g = 0; g < groups; g++) {
				v128_t a0 = wasm_i32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
				int32_t end = (g + 1) * gs;
				for (int32_t k = g * gs; k < end; k += 16) {
					v128_t xv = wasm_v128_load(xq + k);
					v128_t xl = wasm_i16x8_extend_low_i8x16(xv), xh = wasm_i16x8_extend_high_i8x16(xv);
					v128_t w;
#define ROW(acc, r)                                                                            \
	w = wasm_v128_load(r + k);                                                                 \
	acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(w), xl));        \
	acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(w), xh));
					ROW(a0, r0)
					ROW(a1, r1)
					ROW(a2, r2)
					ROW(a3, r3)
#undef ROW
				}
				v128_t fv = wasm_f32x4_convert_i32x4(hsum4_i32(a0, a1, a2, a3));
				v128_t wsv = wasm_f32x4_make(s0[g], s1[g], s2[g], s3[g]);
				val = wasm_f32x4_add(val, wasm_f32x4_mul(wasm_f32x4_mul(fv, wsv), wasm_f32x4_splat(xs[g])));
			}
			wasm_v128_store(out + i, val);
		}
	}
	for (; i < d; i++)
		out[i] = q8_row(xq, xs, wq + (size32)i * (size32)n, ws + (size32)i * (size32)groups, n, gs);
	return 0;
}

// ---------------------------------------------------------------------
// RMSNorm: the sum of squares in order, then elementwise.

EXPORT("rl_rmsnorm") int32_t rl_rmsnorm(float *out, const float *x, const float *w, int32_t n) {
	if (n < 0)
		return 1;
	float ss = 0.0f;
	for (int32_t j = 0; j < n; j++)
		ss += x[j] * x[j];
	ss /= (float)n;
	ss += 1e-5f;
	ss = 1.0f / __builtin_sqrtf(ss);
	v128_t sv = wasm_f32x4_splat(ss);
	int32_t j = 0;
	for (; j + 4 <= n; j += 4)
		wasm_v128_store(out + j, wasm_f32x4_mul(wasm_v128_load(w + j), wasm_f32x4_mul(sv, wasm_v128_load(x + j))));
	for (; j < n; j++)
		out[j] = w[j] * (ss * x[j]);
	return 0;
}

// ---------------------------------------------------------------------
// RoPE with the host's cos/sin table.

static inline void rotate(float *v, int32_t i, float c, float s) {
	float v0 = v[i], v1 = v[i + 1];
	v[i] = v0 * c - v1 * s;
	v[i + 1] = v0 * s + v1 * c;
}

// rope_vec rotates the len floats of v, head after head.
static void rope_vec(float *v, int32_t len, int32_t hs, const float *cs) {
	const v128_t negeven = wasm_i32x4_make((int32_t)0x80000000, 0, (int32_t)0x80000000, 0);
	for (int32_t h = 0; h < len; h += hs) {
		int32_t end = len - h < hs ? len : h + hs;
		int32_t i = h;
		for (; i + 4 <= end; i += 4) {
			// v = (a0, a1, b0, b1), cs = (c0, s0, c1, s1):
			// (a0·c0 - a1·s0, a0·s0 + a1·c0, b0·c1 - b1·s1, b0·s1 + b1·c1)
			v128_t vv = wasm_v128_load(v + i), cv = wasm_v128_load(cs + (i - h));
			v128_t p = wasm_f32x4_mul(vv, cv);
			v128_t p2 = wasm_f32x4_mul(wasm_i32x4_shuffle(vv, vv, 1, 0, 3, 2), cv);
			v128_t a = wasm_i32x4_shuffle(p, p2, 0, 5, 2, 7);
			v128_t b = wasm_i32x4_shuffle(p, p2, 1, 4, 3, 6);
			wasm_v128_store(v + i, wasm_f32x4_add(a, wasm_v128_xor(b, negeven))); // a - b, a + b
		}
		for (; i < end; i += 2)
			rotate(v, i, cs[i - h], cs[i - h + 1]);
	}
}

EXPORT("rl_rope")
int32_t rl_rope(float *q, float *k, int32_t dim, int32_t kv_dim, int32_t head_size, const float *cs) {
	if (dim < 0 || kv_dim < 0 || head_size <= 0 || (dim | kv_dim | head_size) & 1)
		return 1;
	rope_vec(q, dim, head_size, cs);
	rope_vec(k, kv_dim < dim ? kv_dim : dim, head_size, cs);
	return 0;
}

// ---------------------------------------------------------------------
// Softmax, SwiGLU: exact; expf four at a time, sums in order.

static void softmax(float *x, int32_t n) {
	if (n <= 0)
		return;
	float max = x[0];
	for (int32_t i = 1; i < n; i++)
		if (x[i] > max)
			max = x[i];
	float sum = 0.0f;
	v128_t mv = wasm_f32x4_splat(max);
	int32_t i = 0;
	for (; i + 4 <= n; i += 4) {
		v128_t e = expf4(wasm_f32x4_sub(wasm_v128_load(x + i), mv));
		wasm_v128_store(x + i, e);
		sum += wasm_f32x4_extract_lane(e, 0); // in order
		sum += wasm_f32x4_extract_lane(e, 1);
		sum += wasm_f32x4_extract_lane(e, 2);
		sum += wasm_f32x4_extract_lane(e, 3);
	}
	for (; i < n; i++) {
		x[i] = expf_glibc(x[i] - max);
		sum += x[i];
	}
	v128_t sv = wasm_f32x4_splat(sum);
	i = 0;
	for (; i + 4 <= n; i += 4)
		wasm_v128_store(x + i, wasm_f32x4_div(wasm_v128_load(x + i), sv));
	for (; i < n; i++)
		x[i] /= sum;
}

EXPORT("rl_softmax") int32_t rl_softmax(float *x, int32_t n) {
	if (n < 0)
		return 1;
	softmax(x, n);
	return 0;
}

EXPORT("rl_swiglu") int32_t rl_swiglu(float *gate, const float *up, int32_t n) {
	if (n < 0)
		return 1;
	const v128_t one = wasm_f32x4_splat(1.0f);
	int32_t i = 0;
	for (; i + 4 <= n; i += 4) {
		v128_t v = wasm_v128_load(gate + i);
		v = wasm_f32x4_mul(v, wasm_f32x4_div(one, wasm_f32x4_add(one, expf4(wasm_f32x4_neg(v)))));
		wasm_v128_store(gate + i, wasm_f32x4_mul(v, wasm_v128_load(up + i)));
	}
	for (; i < n; i++) {
		float v = gate[i];
		v *= 1.0f / (1.0f + expf_glibc(-v));
		gate[i] = v * up[i];
	}
	return 0;
}

// ---------------------------------------------------------------------
// Attention.

EXPORT("rl_attention")
int32_t rl_attention(float *out, const float *q, const float *keys, const float *values, float *att, int32_t pos,
                     int32_t heads, int32_t kv_heads, int32_t head_size) {
	if (pos < 0 || heads <= 0 || kv_heads <= 0 || heads % kv_heads != 0 || head_size < 0)
		return 1;
	int32_t hs = head_size, kv_dim = kv_heads * head_size, kv_mul = heads / kv_heads;
	float scale = __builtin_sqrtf((float)head_size);
	for (int32_t h = 0; h < heads; h++) {
		const float *qh = q + h * hs;
		int32_t kv_off = (h / kv_mul) * hs;
		// The scores, four rows of keys at a time: lane l sums q·k_{t+l} in
		// i's order, exactly as the reference.
		const float *k = keys + kv_off;
		int32_t t = 0;
		for (; t + 4 <= pos + 1; t += 4) {
			const float *k0 = k + (size32)t * (size32)kv_dim;
			const float *k1 = k0 + kv_dim, *k2 = k1 + kv_dim, *k3 = k2 + kv_dim;
			v128_t score = wasm_f32x4_splat(0);
			int32_t i = 0;
			for (; i + 4 <= hs; i += 4) {
				// Transpose k0..k3[i..i+3]: column c, (k0[i+c], .., k3[i+c]),
				// times q[i+c], is added for c = 0, 1, 2, 3 in turn.
				v128_t a = wasm_v128_load(k0 + i), b = wasm_v128_load(k1 + i);
				v128_t c = wasm_v128_load(k2 + i), d = wasm_v128_load(k3 + i);
				v128_t ab01 = wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), ab23 = wasm_i32x4_shuffle(a, b, 2, 6, 3, 7);
				v128_t cd01 = wasm_i32x4_shuffle(c, d, 0, 4, 1, 5), cd23 = wasm_i32x4_shuffle(c, d, 2, 6, 3, 7);
				v128_t qv = wasm_v128_load(qh + i);
				score = wasm_f32x4_add(score, wasm_f32x4_mul(wasm_i32x4_shuffle(qv, qv, 0, 0, 0, 0), wasm_i32x4_shuffle(ab01, cd01, 0, 1, 4, 5)));
				score = wasm_f32x4_add(score, wasm_f32x4_mul(wasm_i32x4_shuffle(qv, qv, 1, 1, 1, 1), wasm_i32x4_shuffle(ab01, cd01, 2, 3, 6, 7)));
				score = wasm_f32x4_add(score, wasm_f32x4_mul(wasm_i32x4_shuffle(qv, qv, 2, 2, 2, 2), wasm_i32x4_shuffle(ab23, cd23, 0, 1, 4, 5)));
				score = wasm_f32x4_add(score, wasm_f32x4_mul(wasm_i32x4_shuffle(qv, qv, 3, 3, 3, 3), wasm_i32x4_shuffle(ab23, cd23, 2, 3, 6, 7)));
			}
			for (; i < hs; i++) {
				v128_t kv = wasm_v128_load32_zero(k0 + i);
				kv = wasm_v128_load32_lane(k1 + i, kv, 1);
				kv = wasm_v128_load32_lane(k2 + i, kv, 2);
				kv = wasm_v128_load32_lane(k3 + i, kv, 3);
				score = wasm_f32x4_add(score, wasm_f32x4_mul(wasm_v128_load32_splat(qh + i), kv));
			}
			wasm_v128_store(att + t, wasm_f32x4_div(score, wasm_f32x4_splat(scale)));
		}
		for (; t <= pos; t++) {
			const float *kt = k + (size32)t * (size32)kv_dim;
			float score = 0.0f;
			for (int32_t i = 0; i < hs; i++)
				score += qh[i] * kt[i];
			att[t] = score / scale;
		}
		softmax(att, pos + 1);
		// xb[i] = Σ_t att[t]·v_t[i], summed in t's order for each i.
		float *xb = out + h * hs;
		const float *v = values + kv_off;
		int32_t i = 0;
		for (; i + 16 <= hs; i += 16) {
			v128_t x0 = wasm_f32x4_splat(0), x1 = x0, x2 = x0, x3 = x0;
			for (int32_t t = 0; t <= pos; t++) {
				const float *vt = v + (size32)t * (size32)kv_dim + i;
				v128_t a = wasm_f32x4_splat(att[t]);
				x0 = wasm_f32x4_add(x0, wasm_f32x4_mul(a, wasm_v128_load(vt)));
				x1 = wasm_f32x4_add(x1, wasm_f32x4_mul(a, wasm_v128_load(vt + 4)));
				x2 = wasm_f32x4_add(x2, wasm_f32x4_mul(a, wasm_v128_load(vt + 8)));
				x3 = wasm_f32x4_add(x3, wasm_f32x4_mul(a, wasm_v128_load(vt + 12)));
			}
			wasm_v128_store(xb + i, x0);
			wasm_v128_store(xb + i + 4, x1);
			wasm_v128_store(xb + i + 8, x2);
			wasm_v128_store(xb + i + 12, x3);
		}
		for (; i + 4 <= hs; i += 4) {
			v128_t x0 = wasm_f32x4_splat(0);
			for (int32_t t = 0; t <= pos; t++)
				x0 = wasm_f32x4_add(x0, wasm_f32x4_mul(wasm_f32x4_splat(att[t]), wasm_v128_load(v + (size32)t * (size32)kv_dim + i)));
			wasm_v128_store(xb + i, x0);
		}
		for (; i < hs; i++) {
			float x0 = 0.0f;
			for (int32_t t = 0; t <= pos; t++)
				x0 += att[t] * v[(size32)t * (size32)kv_dim + i];
			xb[i] = x0;
		}
	}
	return 0;
}
