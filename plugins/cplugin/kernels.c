//go:build cgo

// (The constraint above is for the go command: without cgo the package
// is nocgo.go alone, and a directory holding C files is refused.)
//
// The C kernels of the cplugin plugin: plain C11, written so that GCC
// or Clang at -O3 vectorises the hot loops for whatever -march selects,
// except the fp32 matmul, which has AVX2 intrinsics (and a plain C
// fallback without AVX2). See kernels.h for each function's contract.
//
// Exactness against kernels/scalar, the reference: every function gives
// its bits exactly (issue 16, "exact by construction"). Every float
// operation is done in the reference's order, rounded to float as it
// rounds (no -ffast-math, no contraction of a·b + c into a fused
// multiply-add; see below), and vector lanes only ever hold independent
// results (rows of a matmul, attention scores, elements) or exact integer
// sums: no sum that run.c computes in sequence is split into partial
// sums. expf is glibc's algorithm as kernels/mathf.Exp writes it: its
// fused multiply-adds are C's fma(), exactly rounded by definition (one
// instruction where -march has FMA, glibc's exact software fma
// otherwise).
//
// Floating-point contraction. GCC fuses a·b + c across an expression
// into an FMA by default in GNU C modes (-ffp-contract=fast), which would
// round differently from the reference, and cgo's flag allowlist refuses
// -ffp-contract=off in a #cgo line. So contraction is turned off here, in
// the source: -std=c11 (ISO C) already makes GCC's default "off", the
// pragma below keeps it off whatever flags CGO_CFLAGS adds, and Clang
// honours the standard pragma. rl_contracts lets the Go side check that
// it worked (Init refuses a build that fuses).

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include "kernels.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

// Every float expression must be evaluated in float, as Go does (x87
// extended precision would round twice).
#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
#error "the cplugin kernels need FLT_EVAL_METHOD == 0 (SSE, not x87, float arithmetic)"
#endif

#define STR_(x) #x
#define STR(x) STR_(x)

// ---------------------------------------------------------------------
// Build information.

int rl_contracts(void) {
	// a·b = 1 + 2^-11 + 2^-24 rounds to 1 + 2^-11 in float, so a·b + c is
	// 0 computed in two roundings and 2^-24 fused. volatile keeps the
	// compiler from folding it at compile time.
	volatile float a = 1.0f + 0x1p-12f, b = 1.0f + 0x1p-12f, c = -(1.0f + 0x1p-11f);
	float x = a, y = b, z = c;
	return x * y + z != 0.0f;
}

const char *rl_build(void) {
	return
#if defined(__clang__)
	    "clang " __clang_version__
#elif defined(__GNUC__)
	    "gcc " STR(__GNUC__) "." STR(__GNUC_MINOR__) "." STR(__GNUC_PATCHLEVEL__)
#else
	    "an unknown C compiler"
#endif
#if defined(__AVX512F__)
	    ", AVX-512"
#elif defined(__AVX2__)
	    ", AVX2"
#elif defined(__AVX__)
	    ", AVX"
#elif defined(__SSE4_1__)
	    ", SSE4.1"
#elif defined(__SSE2__) || defined(__x86_64__)
	    ", SSE2"
#elif defined(__ARM_NEON)
	    ", NEON"
#endif
#if defined(__FMA__) || defined(__ARM_FEATURE_FMA)
	    ", FMA"
#endif
	    ;
}

// ---------------------------------------------------------------------
// MatMul, f32: lanes across rows, bit-exact with the reference.
//
// Each vector lane owns one row and adds w[r][j]·x[j] for j = 0, 1, ..,
// n-1 in turn, the product rounded to float and then the sum (no fused
// multiply-add: see the top of this file), from +0: run.c's loop, one row
// per lane. A row's sum is never split, so the bits are the reference's
// whatever the number of rows in flight. The weights stay row-major, so
// a step loads eight columns of eight rows, multiplies them by x (one
// vector per row) and transposes the 8×8 products into eight column
// vectors, one lane per row, which it adds in column order. Sixteen rows
// are in flight (two accumulators), so that one row group's chain of
// dependent adds overlaps the other's. Measured against the partial-sum
// matmul this replaced (gcc 12.2, -march=native on an AVX-512 EPYC, both
// in one process, interleaved): 1.2-1.3× its time at 288×288 and
// 768×288, 1.5-1.6× at 288×768, and 0.85-1.07× on the 32000×288
// classifier, which streams its weights from memory either way.

#if defined(__AVX2__)
#include <immintrin.h>

// cols8 adds columns j..j+7 of the eight rows w[r·n + j] to acc's lanes,
// column after column.
static inline __m256 cols8(__m256 acc, const float *restrict w, int64_t n, __m256 xv) {
	__m256 p0 = _mm256_mul_ps(_mm256_loadu_ps(w), xv);
	__m256 p1 = _mm256_mul_ps(_mm256_loadu_ps(w + n), xv);
	__m256 p2 = _mm256_mul_ps(_mm256_loadu_ps(w + 2 * n), xv);
	__m256 p3 = _mm256_mul_ps(_mm256_loadu_ps(w + 3 * n), xv);
	__m256 p4 = _mm256_mul_ps(_mm256_loadu_ps(w + 4 * n), xv);
	__m256 p5 = _mm256_mul_ps(_mm256_loadu_ps(w + 5 * n), xv);
	__m256 p6 = _mm256_mul_ps(_mm256_loadu_ps(w + 6 * n), xv);
	__m256 p7 = _mm256_mul_ps(_mm256_loadu_ps(w + 7 * n), xv);
	// Rows r and r+1 interleaved: columns (0 1 | 4 5) and (2 3 | 6 7).
	__m256 t0 = _mm256_unpacklo_ps(p0, p1), t1 = _mm256_unpackhi_ps(p0, p1);
	__m256 t2 = _mm256_unpacklo_ps(p2, p3), t3 = _mm256_unpackhi_ps(p2, p3);
	__m256 t4 = _mm256_unpacklo_ps(p4, p5), t5 = _mm256_unpackhi_ps(p4, p5);
	__m256 t6 = _mm256_unpacklo_ps(p6, p7), t7 = _mm256_unpackhi_ps(p6, p7);
	// Rows 0-3 and 4-7 of one column in each 128-bit half: columns (0 | 4),
	// (1 | 5), (2 | 6), (3 | 7).
	__m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xee);
	__m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xee);
	__m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xee);
	__m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xee);
	acc = _mm256_add_ps(acc, _mm256_permute2f128_ps(u0, u4, 0x20)); // column 0
	acc = _mm256_add_ps(acc, _mm256_permute2f128_ps(u1, u5, 0x20));
	acc = _mm256_add_ps(acc, _mm256_permute2f128_ps(u2, u6, 0x20));
	acc = _mm256_add_ps(acc, _mm256_permute2f128_ps(u3, u7, 0x20));
	acc = _mm256_add_ps(acc, _mm256_permute2f128_ps(u0, u4, 0x31)); // column 4
	acc = _mm256_add_ps(acc, _mm256_permute2f128_ps(u1, u5, 0x31));
	acc = _mm256_add_ps(acc, _mm256_permute2f128_ps(u2, u6, 0x31));
	acc = _mm256_add_ps(acc, _mm256_permute2f128_ps(u3, u7, 0x31));
	return acc;
}

// col1 adds column 0 of the eight rows w[r·n] to acc's lanes: the last
// n mod 8 columns.
static inline __m256 col1(__m256 acc, const float *restrict w, int64_t n, float xj) {
	__m256 wv = _mm256_setr_ps(w[0], w[n], w[2 * n], w[3 * n], w[4 * n], w[5 * n], w[6 * n], w[7 * n]);
	return _mm256_add_ps(acc, _mm256_mul_ps(wv, _mm256_set1_ps(xj)));
}

// rows16 sets out[0..15] to the dot products of x with the sixteen rows
// from w.
static void rows16(float *restrict out, const float *restrict x, const float *restrict w, int64_t n) {
	const float *restrict v = w + 8 * n;
	__m256 a = _mm256_setzero_ps(), b = _mm256_setzero_ps();
	int64_t j = 0;
	for (; j + 8 <= n; j += 8) {
		__m256 xv = _mm256_loadu_ps(x + j);
		a = cols8(a, w + j, n, xv);
		b = cols8(b, v + j, n, xv);
	}
	for (; j < n; j++) {
		a = col1(a, w + j, n, x[j]);
		b = col1(b, v + j, n, x[j]);
	}
	_mm256_storeu_ps(out, a);
	_mm256_storeu_ps(out + 8, b);
}

// rows8 is rows16 for eight rows.
static void rows8(float *restrict out, const float *restrict x, const float *restrict w, int64_t n) {
	__m256 a = _mm256_setzero_ps();
	int64_t j = 0;
	for (; j + 8 <= n; j += 8)
		a = cols8(a, w + j, n, _mm256_loadu_ps(x + j));
	for (; j < n; j++)
		a = col1(a, w + j, n, x[j]);
	_mm256_storeu_ps(out, a);
}
#else
// Without AVX2, the same rule in plain C: eight rows, one accumulator
// each, every column added to each in turn (the compiler may vectorise
// across the rows, never along a row: that would reassociate).
static void rows8(float *restrict out, const float *restrict x, const float *restrict w, int64_t n) {
	float a[8] = {0};
	for (int64_t j = 0; j < n; j++) {
		float xj = x[j];
		for (int r = 0; r < 8; r++)
			a[r] += w[r * n + j] * xj;
	}
	for (int r = 0; r < 8; r++)
		out[r] = a[r];
}

static void rows16(float *restrict out, const float *restrict x, const float *restrict w, int64_t n) {
	rows8(out, x, w, n);
	rows8(out + 8, x, w + 8 * n, n);
}
#endif

void rl_matmul_f32(float *restrict out, const float *restrict x, const float *restrict w, int64_t n, int64_t d) {
	int64_t i = 0;
	for (; i + 16 <= d; i += 16)
		rows16(out + i, x, w + i * n, n);
	if (i + 8 <= d) {
		rows8(out + i, x, w + i * n, n);
		i += 8;
	}
	for (; i < d; i++) { // the last d mod 8 rows, as run.c
		const float *restrict row = w + i * n;
		float val = 0.0f;
		for (int64_t j = 0; j < n; j++)
			val += row[j] * x[j];
		out[i] = val;
	}
}

// ---------------------------------------------------------------------
// MatMul, Q8_0 (runq.c), bit-exact with the reference.

#include "quantize_ref.h"

void rl_quantize(int8_t *restrict q, float *restrict scales, const float *restrict x, int64_t n, int64_t gs) {
	quantize_ref(q, scales, x, n, gs);
}

// Q8_ROWS defines q8_rows_NAME(out, xq, xs, wq, ws, n, gs), runq.c's
// matmul of four rows, for the group size GS: the integer dot products of
// a group are exact whatever the order, so the vectoriser may take them
// in any lanes; the float terms are added to each row's sum group after
// group, as the reference adds them. A constant GS lets the compiler
// unroll a group's loop whole.
#define Q8_ROWS(NAME, GS)                                                                                            \
	static void q8_rows_##NAME(float *restrict out, const int8_t *restrict xq, const float *restrict xs,              \
	                           const int8_t *restrict wq, const float *restrict ws, int64_t n, int64_t gs_) {         \
		const int64_t gs = (GS);                                                                                     \
		(void)gs_;                                                                                                   \
		const int8_t *restrict w0 = wq, *restrict w1 = wq + n, *restrict w2 = wq + 2 * n, *restrict w3 = wq + 3 * n; \
		const float *restrict s0 = ws, *restrict s1 = ws + n / gs, *restrict s2 = ws + 2 * (n / gs),                 \
		                      *restrict s3 = ws + 3 * (n / gs);                                                      \
		float v0 = 0.0f, v1 = 0.0f, v2 = 0.0f, v3 = 0.0f;                                                            \
		for (int64_t j = 0, g = 0; j < n; j += gs, g++) {                                                            \
			int32_t i0 = 0, i1 = 0, i2 = 0, i3 = 0;                                                                  \
			for (int64_t k = 0; k < gs; k++) {                                                                       \
				int32_t xk = xq[j + k];                                                                              \
				i0 += xk * w0[j + k];                                                                                \
				i1 += xk * w1[j + k];                                                                                \
				i2 += xk * w2[j + k];                                                                                \
				i3 += xk * w3[j + k];                                                                                \
			}                                                                                                        \
			float s = xs[g], t;                                                                                      \
			t = (float)i0 * s0[g];                                                                                   \
			v0 += t * s;                                                                                             \
			t = (float)i1 * s1[g];                                                                                   \
			v1 += t * s;                                                                                             \
			t = (float)i2 * s2[g];                                                                                   \
			v2 += t * s;                                                                                             \
			t = (float)i3 * s3[g];                                                                                   \
			v3 += t * s;                                                                                             \
		}                                                                                                            \
		out[0] = v0, out[1] = v1, out[2] = v2, out[3] = v3;                                                          \
	}

Q8_ROWS(32, 32)
Q8_ROWS(64, 64)
Q8_ROWS(any, gs_)
#undef Q8_ROWS

// q8_row is one row of runq.c's matmul, for the rows left over by four.
static void q8_row(float *out, const int8_t *restrict xq, const float *restrict xs, const int8_t *restrict w,
                   const float *restrict ws, int64_t n, int64_t gs) {
	float val = 0.0f;
	for (int64_t j = 0, g = 0; j < n; j += gs, g++) {
		int32_t ival = 0;
		for (int64_t k = 0; k < gs; k++)
			ival += (int32_t)xq[j + k] * (int32_t)w[j + k];
		float t = (float)ival * ws[g];
		val += t * xs[g];
	}
	*out = val;
}

void rl_matmul_q8(float *restrict out, const int8_t *restrict xq, const float *restrict xs, const int8_t *restrict wq,
                  const float *restrict ws, int64_t n, int64_t d, int64_t gs) {
	void (*rows)(float *restrict, const int8_t *restrict, const float *restrict, const int8_t *restrict,
	             const float *restrict, int64_t, int64_t) = gs == 32 ? q8_rows_32
	                                                      : gs == 64 ? q8_rows_64
	                                                                 : q8_rows_any;
	const int64_t groups = n / gs;
	int64_t i = 0;
	for (; i + 4 <= d; i += 4)
		rows(out + i, xq, xs, wq + i * n, ws + i * groups, n, gs);
	for (; i < d; i++)
		q8_row(out + i, xq, xs, wq + i * n, ws + i * groups, n, gs);
}

// ---------------------------------------------------------------------
// expf: glibc's, as kernels/mathf.Exp.

static inline uint64_t d2u(double x) {
	uint64_t u;
	memcpy(&u, &x, sizeof u);
	return u;
}

static inline double u2d(uint64_t u) {
	double x;
	memcpy(&x, &u, sizeof x);
	return x;
}

static inline uint32_t f2u(float x) {
	uint32_t u;
	memcpy(&u, &x, sizeof u);
	return u;
}

#define RL_FMA fma
#define RL_INFF HUGE_VALF
#include "expf_glibc.h"

float rl_expf(float x) { return expf_glibc(x); }

// ---------------------------------------------------------------------
// RMSNorm, RoPE, SwiGLU, Softmax.

void rl_rmsnorm(float *out, const float *x, const float *restrict w, int64_t n) {
	float ss = 0.0f;
	for (int64_t j = 0; j < n; j++) // in order: a float sum is not vectorised
		ss += x[j] * x[j];
	ss /= (float)n;
	ss += 1e-5f;
	ss = 1.0f / sqrtf(ss);
	for (int64_t j = 0; j < n; j++) // out may be x: element by element
		out[j] = w[j] * (ss * x[j]);
}

// rope_span rotates the pairs of v[0..n) (n even, n ≤ the period) by
// the cosines and sines in cs, four floats per pair: cos, -sin, cos, sin.
// The reference's v0·cos - v1·sin is computed as v0·cos + v1·(-sin),
// the same bits (negation is exact, and a - b is a + (-b)), so that both
// values of a pair are a sum of two products. Written with a - and a +,
// GCC 12.2 vectorises the pair into vfmaddsub instructions (its SLP
// "addsub" pattern), fusing the multiply-adds even under
// -ffp-contract=off, and rotated values then differ from the reference's
// in the last bit (seen with -march=native on AVX-512 and AVX2).
static inline void rope_span(float *restrict v, const float *restrict cs, int64_t n) {
	for (int64_t i = 0; i < n; i += 2) {
		const float *p = cs + 2 * i;
		float v0 = v[i], v1 = v[i + 1];
		v[i] = v0 * p[0] + v1 * p[1];
		v[i + 1] = v1 * p[2] + v0 * p[3];
	}
}

static void rope(float *v, int64_t n, const float *cs, int64_t period) {
	for (int64_t i = 0; i < n; i += period)
		rope_span(v + i, cs, n - i < period ? n - i : period);
}

void rl_rope(float *q, int64_t nq, float *k, int64_t nk, const float *cs, int64_t period) {
	rope(q, nq, cs, period);
	rope(k, nk, cs, period);
}

void rl_swiglu(float *restrict gate, const float *restrict up, int64_t n) {
	for (int64_t i = 0; i < n; i++) {
		float v = gate[i];
		v *= 1.0f / (1.0f + expf_glibc(-v));
		gate[i] = v * up[i];
	}
}

void rl_softmax(float *x, int64_t n) {
	if (n <= 0)
		return;
	float max = x[0];
	for (int64_t i = 1; i < n; i++)
		if (x[i] > max)
			max = x[i];
	float sum = 0.0f;
	for (int64_t i = 0; i < n; i++) {
		x[i] = expf_glibc(x[i] - max);
		sum += x[i];
	}
	for (int64_t i = 0; i < n; i++)
		x[i] /= sum;
}

// ---------------------------------------------------------------------
// Attention.

// scores sets att[t] = q·k_t / scale for t < n, k_t = k + t·kv_dim, each
// dot product summed in i's order as the reference sums it; four key
// rows at a time for four independent chains of adds.
static void scores(float *restrict att, const float *restrict q, const float *restrict k, int64_t n, int64_t kv_dim,
                   int64_t hs, float scale) {
	int64_t t = 0;
	for (; t + 4 <= n; t += 4) {
		const float *k0 = k + t * kv_dim, *k1 = k0 + kv_dim, *k2 = k1 + kv_dim, *k3 = k2 + kv_dim;
		float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
		for (int64_t i = 0; i < hs; i++) {
			float qi = q[i];
			s0 += qi * k0[i];
			s1 += qi * k1[i];
			s2 += qi * k2[i];
			s3 += qi * k3[i];
		}
		att[t] = s0 / scale, att[t + 1] = s1 / scale, att[t + 2] = s2 / scale, att[t + 3] = s3 / scale;
	}
	for (; t < n; t++) {
		const float *kt = k + t * kv_dim;
		float s = 0.0f;
		for (int64_t i = 0; i < hs; i++)
			s += q[i] * kt[i];
		att[t] = s / scale;
	}
}

// weighted sets xb[i] = Σ_t att[t]·v_t[i] for i < hs, t < n, v_t = v +
// t·kv_dim, summed in t's order from +0 for each i as the reference sums
// it; the lanes are the i, four rows t per pass over xb.
static void weighted(float *restrict xb, const float *restrict att, const float *restrict v, int64_t n, int64_t kv_dim,
                     int64_t hs) {
	for (int64_t i = 0; i < hs; i++)
		xb[i] = 0.0f;
	int64_t t = 0;
	for (; t + 4 <= n; t += 4) {
		const float *v0 = v + t * kv_dim, *v1 = v0 + kv_dim, *v2 = v1 + kv_dim, *v3 = v2 + kv_dim;
		float a0 = att[t], a1 = att[t + 1], a2 = att[t + 2], a3 = att[t + 3];
		for (int64_t i = 0; i < hs; i++) {
			float s = xb[i];
			s += a0 * v0[i];
			s += a1 * v1[i];
			s += a2 * v2[i];
			s += a3 * v3[i];
			xb[i] = s;
		}
	}
	for (; t < n; t++) {
		const float *vt = v + t * kv_dim;
		float a = att[t];
		for (int64_t i = 0; i < hs; i++)
			xb[i] += a * vt[i];
	}
}

void rl_attention(float *restrict out, const float *restrict q, const float *restrict keys,
                  const float *restrict values, float *restrict att, int64_t pos, int64_t heads, int64_t kv_heads,
                  int64_t head_size) {
	const int64_t hs = head_size, kv_dim = kv_heads * head_size, kv_mul = heads / kv_heads, n = pos + 1;
	const float scale = sqrtf((float)head_size);
	for (int64_t h = 0; h < heads; h++) {
		const int64_t kv_off = (h / kv_mul) * hs;
		scores(att, q + h * hs, keys + kv_off, n, kv_dim, hs, scale);
		rl_softmax(att, n);
		weighted(out + h * hs, att, values + kv_off, n, kv_dim, hs);
	}
}
