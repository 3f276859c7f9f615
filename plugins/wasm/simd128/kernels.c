//go:build ignore

// (The constraint above is for the go command, which refuses a package
// directory holding C files without cgo: this file is built by build.sh,
// never by go build.)
//
// SIMD128 kernels for retrollama's WASM kernel ABI, version 1
// (plugins/wasm/ABI.md). Every export of the ABI is here.
//
// Exactness against kernels/scalar, the reference: every export gives
// its bits exactly (issue 16, "exact by construction"). Every float32
// operation is done in the reference's order and rounded as it rounds
// (WebAssembly has no fused multiply-add, relaxed-simd is not enabled,
// and build.sh passes -ffp-contract=off), and SIMD lanes only ever hold
// independent sums: four rows of a matmul (f32 and Q8_0), four
// outputs, four attention scores, or exact integer sums. No sum that
// run.c computes in sequence is split into partial sums. So a model on
// this module alone gives llama2.c's exact output.
//
// expf is glibc's algorithm as kernels/mathf.Exp writes it, its fused
// multiply-adds emulated in double with an exact product, an exact sum and
// a round-to-odd addition (Boldo & Melquiond), so each is correctly
// rounded like a hardware FMA; expf4 runs the same steps in f64x2 lanes.
// Both give mathf.Exp's bits on all 2^32 float32 inputs (simd128_test.go's
// TestExp with RETROLLAMA_WASM_EXHAUSTIVE=1).
//
// No libc and no imports: build with build.sh. expf_glibc and its table
// come from plugins/cplugin/expf_glibc.h, round8 and quantize_ref from
// plugins/cplugin/quantize_ref.h, both shared with the cgo plugin.

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

// PIN(v...) makes v... appear used and redefined here, emitting nothing.
// In straight-line code, clang otherwise builds each accumulator's chain
// whole, one after the other (the WebAssembly backend moves every
// definition next to its use), so values shared by the chains, like x's
// vectors in a matmul, stay live from the first chain to the last: in a
// fully unrolled block, hundreds of them, which wazero then spills.
#define PIN1(a) __asm__("" : "+r"(a))
#define PIN2(a, b) __asm__("" : "+r"(a), "+r"(b))
#define PIN4(a, b, c, d) __asm__("" : "+r"(a), "+r"(b), "+r"(c), "+r"(d))

static inline uint32_t f2u(float x) { return __builtin_bit_cast(uint32_t, x); }
static inline uint64_t d2u(double x) { return __builtin_bit_cast(uint64_t, x); }
static inline double u2d(uint64_t x) { return __builtin_bit_cast(double, x); }

// hsum4_i32 returns {Σa, Σb, Σc, Σd} of four i32x4 vectors (wrapping
// sums: exact in any order).
static inline v128_t hsum4_i32(v128_t a, v128_t b, v128_t c, v128_t d) {
	v128_t ab = wasm_i32x4_add(wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), wasm_i32x4_shuffle(a, b, 2, 6, 3, 7));
	v128_t cd = wasm_i32x4_add(wasm_i32x4_shuffle(c, d, 0, 4, 1, 5), wasm_i32x4_shuffle(c, d, 2, 6, 3, 7));
	return wasm_i32x4_add(wasm_i32x4_shuffle(ab, cd, 0, 1, 4, 5), wasm_i32x4_shuffle(ab, cd, 2, 3, 6, 7));
}

static inline uint32_t hsum_i32(v128_t a) {
	v128_t s = wasm_i32x4_add(a, wasm_i32x4_shuffle(a, a, 2, 3, 0, 1));
	s = wasm_i32x4_add(s, wasm_i32x4_shuffle(s, s, 1, 0, 3, 2));
	return (uint32_t)wasm_i32x4_extract_lane(s, 0);
}

// ---------------------------------------------------------------------
// Loop structure (see the f32 matmul for why).
//
// REPEAT(count, stmt) runs stmt, a call of a loop-free function doing a
// block of work, count times: up to 7 times without a loop, then eight
// times per loop iteration, so a typical size pays no termination check
// or a few. BY(len, step) runs step(j) for j = 0, 4, .., len-4 unrolled
// (len a constant); DECOMPOSE(r, CHUNK) runs CHUNK(len) for the binary
// digits of r from 64 down to 4, after a loop of CHUNK(128) while r ≥ 128
// remains, so r < 128 takes no loop. Both advance j.

#define REPEAT(count, stmt)                                        \
	do {                                                           \
		int32_t rep_ = (count);                                    \
		for (; rep_ >= 8; rep_ -= 8) {                             \
			stmt;                                                  \
			stmt;                                                  \
			stmt;                                                  \
			stmt;                                                  \
			stmt;                                                  \
			stmt;                                                  \
			stmt;                                                  \
			stmt;                                                  \
		}                                                          \
		if (rep_ & 4) {                                            \
			stmt;                                                  \
			stmt;                                                  \
			stmt;                                                  \
			stmt;                                                  \
		}                                                          \
		if (rep_ & 2) {                                            \
			stmt;                                                  \
			stmt;                                                  \
		}                                                          \
		if (rep_ & 1) {                                            \
			stmt;                                                  \
		}                                                          \
	} while (0)

#define BY(len, step)                                                            \
	do {                                                                         \
		_Pragma("clang loop unroll(full)") for (int32_t k_ = 0; k_ < (len); k_ += 4) \
			step(j + k_);                                                        \
		j += (len);                                                              \
	} while (0)

#define DECOMPOSE(r, CHUNK)               \
	do {                                  \
		int32_t end_ = j + (r);           \
		while (end_ - j >= 128)           \
			CHUNK(128);                   \
		int32_t left_ = end_ - j;         \
		if (left_ & 64)                   \
			CHUNK(64);                    \
		if (left_ & 32)                   \
			CHUNK(32);                    \
		if (left_ & 16)                   \
			CHUNK(16);                    \
		if (left_ & 8)                    \
			CHUNK(8);                     \
		if (left_ & 4)                    \
			CHUNK(4);                     \
	} while (0)

// ---------------------------------------------------------------------
// expf: glibc's, as kernels/mathf.Exp.

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

#define RL_FMA fma_emul
#define RL_INFF __builtin_inff()
#include "../../cplugin/expf_glibc.h"

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
// MatMul, f32: lanes across rows, bit-exact with the reference.
//
// Each lane of an accumulator vector owns one row and adds w[r][j]·x[j]
// for j = 0, 1, .., n-1 in turn, the product rounded (f32x4.mul) and
// then the sum (f32x4.add), from +0: run.c's loop, four rows at once. No
// row's sum is ever split, so the result is the reference's whatever the
// number of rows in flight. The weights stay row-major; a step takes four
// columns of four rows and turns them into four column vectors (one
// lane per row) before adding them in order.
//
// How wazero compiles a module shapes this code. Under the host's
// timeout every loop iteration leaves the compiled code for Go to check
// whether to stop (tens of ns with the spills around it), and wazero keeps
// each value live across that call in memory, reloading it at its uses in
// the loop body. Calls pay no check. And every memory access is
// bounds-checked inline (about seven instructions and a stub of its own),
// so unrolled code is large: long straight blocks ran slower, up to 3× in
// whole-model runs, where the weights stream from beyond the caches. So a
// hot loop here has a short body of calls of a loop-free function doing a
// moderate block of work with its values in registers (the accumulators
// pass between calls in memory), and the typical sizes need few
// iterations or none.

// COLS4(acc, r0, r1, r2, r3, j) adds columns j..j+3 of the rows r0..r3
// to acc's lanes 0..3, column after column: the products row by row (x_
// holds x[j..j+3]), then a 4×4 transpose of the products, and the four
// column vectors added in order.
//
// The transpose is written with lane moves rather than i8x16.shuffle:
// wazero compiles every shuffle, whatever its pattern, to two mask loads,
// two pshufb and a por, where f64x2.replace_lane is one movsd or movlhps
// and f32x4.replace_lane one insertps. First the 64-bit halves (LO64,
// HI64: rows r0 and r2, r1 and r3), then the 32-bit lanes (INS). The
// empty asm statements keep clang from folding the moves back into
// shuffles. Measured (paired, one process, compiler engine, stories15M
// shapes): 1.35-1.5× the time of the partial-sum matmul this replaced,
// against 1.6-2× with the same transpose in i32x4.shuffle, 3-7× with a
// column gathered lane by lane (v128.load32_lane) and 2.5-3× with
// 64-bit loads of two columns (v128.load64_lane) and one shuffle each.
#define LO64(a, b) /* (a.lo64, b.lo64) */                                                  \
	({                                                                                     \
		double e_ = wasm_f64x2_extract_lane((b), 0);                                       \
		__asm__("" : "+r"(e_));                                                            \
		wasm_f64x2_replace_lane((a), 1, e_);                                               \
	})
#define HI64(a, b) /* (a.hi64, b.hi64) */                                                  \
	({                                                                                     \
		double e_ = wasm_f64x2_extract_lane((a), 1);                                       \
		__asm__("" : "+r"(e_));                                                            \
		wasm_f64x2_replace_lane((b), 0, e_);                                               \
	})
#define INS(v, l, u, k) /* v with lane l replaced by u's lane k */                         \
	({                                                                                     \
		float f_ = wasm_f32x4_extract_lane((u), k);                                        \
		__asm__("" : "+r"(f_));                                                            \
		wasm_f32x4_replace_lane((v), l, f_);                                               \
	})
#define COLS4(acc, r0, r1, r2, r3, j)                                                              \
	do {                                                                                           \
		v128_t p0_ = wasm_f32x4_mul(wasm_v128_load((r0) + (j)), x_);                               \
		v128_t p1_ = wasm_f32x4_mul(wasm_v128_load((r1) + (j)), x_);                               \
		v128_t p2_ = wasm_f32x4_mul(wasm_v128_load((r2) + (j)), x_);                               \
		v128_t p3_ = wasm_f32x4_mul(wasm_v128_load((r3) + (j)), x_);                               \
		/* a_ = (p0[0], p0[1], p2[0], p2[1]), b_ the same of p1, p3; c_, d_ columns 2 and 3 */    \
		v128_t a_ = LO64(p0_, p2_), b_ = LO64(p1_, p3_), c_ = HI64(p0_, p2_), d_ = HI64(p1_, p3_); \
		acc = wasm_f32x4_add(acc, INS(INS(a_, 1, b_, 0), 3, b_, 2)); /* column j */                \
		acc = wasm_f32x4_add(acc, INS(INS(b_, 0, a_, 1), 2, a_, 3)); /* j + 1 */                   \
		acc = wasm_f32x4_add(acc, INS(INS(c_, 1, d_, 0), 3, d_, 2)); /* j + 2 */                   \
		acc = wasm_f32x4_add(acc, INS(INS(d_, 0, c_, 1), 2, c_, 3)); /* j + 3 */                   \
	} while (0)

// COL1X(acc, r0, r1, r2, r3, j) adds column j of the rows r0..r3 to
// acc's lanes: the tail's last one to three columns.
#define COL1X(acc, r0, r1, r2, r3, j) \
	acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_make((r0)[j], (r1)[j], (r2)[j], (r3)[j]), wasm_f32x4_splat(x[j])))

// The row pointers of a pass of 4·G rows, stride floats apart (0 makes
// every row the same: a lone row runs as a pass of four).
#define MM_ROWS1 const float *w1 = w0 + stride, *w2 = w1 + stride, *w3 = w2 + stride
#define MM_ROWS2 MM_ROWS1; const float *w4 = w3 + stride, *w5 = w4 + stride, *w6 = w5 + stride, *w7 = w6 + stride

// MM_EACH##G(M, j) applies M(acc, rows.., j) to each group of four rows.
#define MM_EACH1(M, j) M(a0, w0, w1, w2, w3, j)
#define MM_EACH2(M, j) MM_EACH1(M, j); M(a1, w4, w5, w6, w7, j)
#define MM_PIN1 PIN1(a0)
#define MM_PIN2 PIN2(a0, a1)
#define MM_LOAD1 v128_t a0 = acc[0]
#define MM_LOAD2 MM_LOAD1, a1 = acc[1]
#define MM_SAVE1 acc[0] = a0
#define MM_SAVE2 MM_SAVE1, acc[1] = a1

// MM_STEP(G, j) adds columns j..j+3 of the pass's rows.
#define MM_STEP(G, j)                               \
	do {                                            \
		v128_t x_ = wasm_v128_load(x + (j));        \
		MM_EACH##G(COLS4, j);                       \
		MM_PIN##G;                                  \
	} while (0)

// MM_BLOCK(G, len) does columns j..j+len-1 (len a constant multiple of
// 4), unrolled, and advances j.
#define MM_BLOCK(G, len)                                                              \
	do {                                                                              \
		_Pragma("clang loop unroll(full)") for (int32_t k_ = 0; k_ < (len); k_ += 4) \
			MM_STEP(G, j + k_);                                                       \
		j += (len);                                                                   \
	} while (0)

// MMB, the columns of a block: it divides 288 and 768.
#define MMB 32

// MM_PASS(G) defines mm_block##G, mm_tail##G and mm_pass##G, the
// matmul of 4·G rows.
#define MM_PASS(G)                                                                                             \
	/* mm_block##G adds MMB columns of the rows to acc. */                                                      \
	static __attribute__((noinline)) void mm_block##G(v128_t *acc, const float *x, const float *w0,             \
	                                                  int32_t stride) {                                         \
		MM_ROWS##G;                                                                                             \
		MM_LOAD##G;                                                                                             \
		int32_t j = 0;                                                                                          \
		MM_BLOCK(G, MMB);                                                                                       \
		MM_SAVE##G;                                                                                             \
	}                                                                                                           \
	/* mm_tail##G adds the last r < MMB columns of the rows to acc and stores the sums in out. */              \
	static __attribute__((noinline)) void mm_tail##G(float *out, v128_t *acc, const float *x, const float *w0,  \
	                                                 int32_t stride, int32_t r) {                               \
		MM_ROWS##G;                                                                                             \
		MM_LOAD##G;                                                                                             \
		int32_t j = 0;                                                                                          \
		if (r & 16)                                                                                             \
			MM_BLOCK(G, 16);                                                                                    \
		if (r & 8)                                                                                              \
			MM_BLOCK(G, 8);                                                                                     \
		if (r & 4)                                                                                              \
			MM_BLOCK(G, 4);                                                                                     \
		for (int32_t k = 0; k < 3; k++) /* unrolled: no loop */                                                 \
			if (k < (r & 3)) {                                                                                  \
				MM_EACH##G(COL1X, j);                                                                           \
				j++;                                                                                            \
			}                                                                                                   \
		MM_SAVE##G;                                                                                             \
		for (int32_t k = 0; k < (G); k++)                                                                       \
			wasm_v128_store(out + 4 * k, acc[k]);                                                               \
	}                                                                                                           \
	/* mm_pass##G sets out[0..4·G-1] to the dot products of x with the rows: up to 15 blocks of MMB columns  \
	   without a loop (n < 16·MMB = 512 takes none), then a loop of 16 blocks per iteration. */               \
	static __attribute__((noinline)) void mm_pass##G(float *out, const float *x, const float *w0, int32_t n,   \
	                                                 int32_t stride) {                                          \
		v128_t acc[G];                                                                                          \
		for (int32_t k = 0; k < (G); k++)                                                                       \
			acc[k] = wasm_f32x4_splat(0.0f);                                                                    \
		int32_t j = 0;                                                                                          \
		REPEAT(n / MMB, (mm_block##G(acc, x + j, w0 + j, stride), j += MMB));                                  \
		mm_tail##G(out, acc, x + j, w0 + j, stride, n - j);                                                    \
	}

MM_PASS(1)
MM_PASS(2)

// rl_matmul_f32 takes eight rows per pass (two accumulators: one
// group's chain of dependent adds overlaps the other's; sixteen rows ran
// no faster), then four, then the last rows one at a time as a pass of
// four copies of the row (stride 0).
EXPORT("rl_matmul_f32")
int32_t rl_matmul_f32(float *out, const float *x, const float *w, int32_t n, int32_t d) {
	if (n < 0 || d < 0)
		return 1;
	int32_t i = 0;
	REPEAT(d / 8, (mm_pass2(out + i, x, w + (size32)i * (size32)n, n, n), i += 8));
	if (d - i >= 4) {
		mm_pass1(out + i, x, w + (size32)i * (size32)n, n, n);
		i += 4;
	}
	for (; i < d; i++) {
		float one[4] __attribute__((aligned(16)));
		mm_pass1(one, x, w + (size32)i * (size32)n, n, 0);
		out[i] = one[0];
	}
	return 0;
}

// ---------------------------------------------------------------------
// MatMul, Q8_0 (runq.c), bit-exact with the reference.

// round8 and quantize_ref (the reference's Quantize, for any group
// size) come from plugins/cplugin/quantize_ref.h, shared with the cgo
// plugin.
#include "../../cplugin/quantize_ref.h"

// round8x4 is round8 on four lanes, as int32 lanes whose low bytes are
// the results.
static inline v128_t round8x4(v128_t v) {
	v128_t t = wasm_f32x4_trunc(v);
	v128_t half = wasm_f32x4_ge(wasm_f32x4_abs(wasm_f32x4_sub(v, t)), wasm_f32x4_splat(0.5f)); // v - t is exact
	v128_t one = wasm_v128_or(wasm_f32x4_splat(1.0f), wasm_v128_and(v, wasm_i32x4_splat((int32_t)0x80000000)));
	t = wasm_f32x4_add(t, wasm_v128_and(half, one)); // t + ±1 where half, else t + 0 (t is integral: t + 0 == t, sign aside)
	v128_t ok = wasm_f32x4_lt(wasm_f32x4_abs(t), wasm_f32x4_splat(2147483648.0f)); // false for NaN
	return wasm_v128_and(ok, wasm_i32x4_trunc_sat_f32x4(t));
}

// quantize_group does one group of GS floats (GS a multiple of 16, at
// most 64): the maximum of |x| (pmax keeps the larger, ignoring NaN as the
// reference's a > wmax does), the scale, and the rounded quotients.
#define QUANTIZE_GROUP(GS)                                                                                  \
	static __attribute__((noinline)) void quantize_group##GS(int8_t *q, float *scale_out, const float *x) { \
		v128_t m = wasm_f32x4_splat(0);                                                                     \
		_Pragma("clang loop unroll(full)") for (int32_t i = 0; i < (GS); i += 4)                           \
			m = wasm_f32x4_pmax(m, wasm_f32x4_abs(wasm_v128_load(x + i)));                                  \
		float wmax = wasm_f32x4_extract_lane(m, 0);                                                         \
		float m1 = wasm_f32x4_extract_lane(m, 1), m2 = wasm_f32x4_extract_lane(m, 2),                       \
		      m3 = wasm_f32x4_extract_lane(m, 3);                                                           \
		if (m1 > wmax)                                                                                      \
			wmax = m1;                                                                                      \
		if (m2 > wmax)                                                                                      \
			wmax = m2;                                                                                      \
		if (m3 > wmax)                                                                                      \
			wmax = m3;                                                                                      \
		float scale = wmax / 127.0f;                                                                        \
		*scale_out = scale;                                                                                 \
		v128_t sv = wasm_f32x4_splat(scale);                                                                \
		_Pragma("clang loop unroll(full)") for (int32_t i = 0; i < (GS); i += 16) {                        \
			v128_t a = round8x4(wasm_f32x4_div(wasm_v128_load(x + i), sv));                                 \
			v128_t b = round8x4(wasm_f32x4_div(wasm_v128_load(x + i + 4), sv));                             \
			v128_t c = round8x4(wasm_f32x4_div(wasm_v128_load(x + i + 8), sv));                             \
			v128_t d = round8x4(wasm_f32x4_div(wasm_v128_load(x + i + 12), sv));                            \
			v128_t ab = wasm_i8x16_shuffle(a, b, 0, 4, 8, 12, 16, 20, 24, 28, 0, 0, 0, 0, 0, 0, 0, 0);       \
			v128_t cd = wasm_i8x16_shuffle(c, d, 0, 4, 8, 12, 16, 20, 24, 28, 0, 0, 0, 0, 0, 0, 0, 0);       \
			wasm_v128_store(q + i, wasm_i64x2_shuffle(ab, cd, 0, 2));                                       \
		}                                                                                                   \
	}
QUANTIZE_GROUP(32)
QUANTIZE_GROUP(64)
#undef QUANTIZE_GROUP

// quantize is the reference's Quantize.
static void quantize(int8_t *q, float *scales, const float *x, int32_t n, int32_t gs);

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

// Four rows at a time, the float steps in the four lanes of one vector,
// each lane exactly the reference's sequence. Q8_K16(k) adds columns
// k..k+15 of the rows r0..r3 to the int32 lanes of a0..a3.
#define Q8_ROW(acc, r, k)                                                                      \
	do {                                                                                       \
		v128_t w_ = wasm_v128_load(r + (k));                                                   \
		acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(w_), xl_));  \
		acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(w_), xh_)); \
	} while (0)
#define Q8_K16(k)                                                                              \
	do {                                                                                       \
		v128_t xv_ = wasm_v128_load(xq + (k));                                                 \
		v128_t xl_ = wasm_i16x8_extend_low_i8x16(xv_), xh_ = wasm_i16x8_extend_high_i8x16(xv_); \
		Q8_ROW(a0, r0, k);                                                                     \
		Q8_ROW(a1, r1, k);                                                                     \
		Q8_ROW(a2, r2, k);                                                                     \
		Q8_ROW(a3, r3, k);                                                                     \
		PIN4(a0, a1, a2, a3);                                                                  \
	} while (0)
// Q8_GROUP(GS, g) adds group g (GS columns, from GS·g) of the four rows
// to val.
#define Q8_GROUP(GS, g)                                                                          \
	do {                                                                                         \
		v128_t a0 = wasm_i32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;                              \
		_Pragma("clang loop unroll(full)") for (int32_t k = (g) * (GS); k < ((g) + 1) * (GS); k += 16) \
			Q8_K16(k);                                                                           \
		v128_t fv = wasm_f32x4_convert_i32x4(hsum4_i32(a0, a1, a2, a3));                         \
		v128_t wsv = wasm_f32x4_make(s0[g], s1[g], s2[g], s3[g]);                                \
		val = wasm_f32x4_add(val, wasm_f32x4_mul(wasm_f32x4_mul(fv, wsv), wasm_v128_load32_splat(xs + (g)))); \
	} while (0)
#define Q8_ROWS                                                                    \
	const int8_t *r1 = r0 + n, *r2 = r1 + n, *r3 = r2 + n;                          \
	const float *s1 = s0 + groups, *s2 = s1 + groups, *s3 = s2 + groups

// q8_groups##GS##_##G adds G groups of GS columns of four rows (from r0,
// scales from s0; xq, xs at the same group) to val.
#define Q8_GROUPS(GS, G)                                                                                                  \
	static __attribute__((noinline)) v128_t q8_groups##GS##_##G(v128_t val, const int8_t *xq, const float *xs,            \
	                                                            const int8_t *r0, const float *s0, int32_t n, int32_t groups) { \
		Q8_ROWS;                                                                                                          \
		_Pragma("clang loop unroll(full)") for (int32_t g = 0; g < (G); g++) Q8_GROUP(GS, g);                            \
		return val;                                                                                                       \
	}
Q8_GROUPS(32, 4)
Q8_GROUPS(32, 1)
Q8_GROUPS(64, 2)
Q8_GROUPS(64, 1)
#undef Q8_GROUPS

// q8_rows4 sets out[0..3] for the four rows from r0 (scales from s0).
static __attribute__((noinline)) void q8_rows4(float *out, const int8_t *xq, const float *xs, const int8_t *r0,
                                              const float *s0, int32_t n, int32_t groups, int32_t gs) {
	v128_t val = wasm_f32x4_splat(0);
	int32_t g = 0;
	if (gs == 32) {
		REPEAT(groups / 4, (val = q8_groups32_4(val, xq + g * 32, xs + g, r0 + g * 32, s0 + g, n, groups), g += 4));
		REPEAT(groups & 3, (val = q8_groups32_1(val, xq + g * 32, xs + g, r0 + g * 32, s0 + g, n, groups), g++));
	} else if (gs == 64) {
		REPEAT(groups / 2, (val = q8_groups64_2(val, xq + g * 64, xs + g, r0 + g * 64, s0 + g, n, groups), g += 2));
		if (groups & 1)
			val = q8_groups64_1(val, xq + g * 64, xs + g, r0 + g * 64, s0 + g, n, groups);
	} else { // any other multiple of 16, with a loop per group
		Q8_ROWS;
		for (; g < groups; g++) {
			v128_t a0 = wasm_i32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
			for (int32_t k = g * gs; k < (g + 1) * gs; k += 16)
				Q8_K16(k);
			v128_t fv = wasm_f32x4_convert_i32x4(hsum4_i32(a0, a1, a2, a3));
			v128_t wsv = wasm_f32x4_make(s0[g], s1[g], s2[g], s3[g]);
			val = wasm_f32x4_add(val, wasm_f32x4_mul(wasm_f32x4_mul(fv, wsv), wasm_f32x4_splat(xs[g])));
		}
	}
	wasm_v128_store(out, val);
}

EXPORT("rl_matmul_q8_0")
int32_t rl_matmul_q8_0(float *out, const float *x, const int8_t *wq, const float *ws, int32_t n, int32_t d, int32_t gs,
                       int8_t *xq, float *xs) {
	if (n < 0 || d < 0 || gs <= 0 || n % gs != 0)
		return 1;
	quantize(xq, xs, x, n, gs);
	int32_t groups = n / gs;
	int32_t i = 0;
	if (gs % 16 == 0)
		REPEAT(d / 4, (q8_rows4(out + i, xq, xs, wq + (size32)i * (size32)n, ws + (size32)i * (size32)groups, n, groups, gs),
		               i += 4));
	for (; i < d; i++)
		out[i] = q8_row(xq, xs, wq + (size32)i * (size32)n, ws + (size32)i * (size32)groups, n, gs);
	return 0;
}

static void quantize(int8_t *q, float *scales, const float *x, int32_t n, int32_t gs) {
	int32_t g = 0;
	if (gs == 32)
		REPEAT(n / 32, (quantize_group32(q + g * 32, scales + g, x + g * 32), g++));
	else if (gs == 64)
		REPEAT(n / 64, (quantize_group64(q + g * 64, scales + g, x + g * 64), g++));
	else
		quantize_ref(q, scales, x, n, gs);
}

// ---------------------------------------------------------------------
// RMSNorm: the sum of squares in order, then elementwise.

// ss_add adds x[j..j+3]² to *ss in order (the squares in a vector:
// each rounded as the reference rounds it).
#define SS_STEP(j)                                                    \
	do {                                                              \
		v128_t v_ = wasm_v128_load(x + (j));                          \
		v_ = wasm_f32x4_mul(v_, v_);                                  \
		ss += wasm_f32x4_extract_lane(v_, 0);                         \
		ss += wasm_f32x4_extract_lane(v_, 1);                         \
		ss += wasm_f32x4_extract_lane(v_, 2);                         \
		ss += wasm_f32x4_extract_lane(v_, 3);                         \
	} while (0)
#define SS_CHUNK(len) BY(len, SS_STEP)

static __attribute__((noinline)) float ss_block(float ss, const float *x) {
	int32_t j = 0;
	SS_CHUNK(64);
	return ss;
}

// ss_tail adds the squares of x[0..r-1], r < 64.
static __attribute__((noinline)) float ss_tail(float ss, const float *x, int32_t r) {
	int32_t j = 0;
	DECOMPOSE(r & ~3, SS_CHUNK);
	if (r & 2) {
		ss += x[j] * x[j];
		j++;
		ss += x[j] * x[j];
		j++;
	}
	if (r & 1)
		ss += x[j] * x[j];
	return ss;
}

#define NORM_STEP(j) \
	wasm_v128_store(out + (j), wasm_f32x4_mul(wasm_v128_load(w + (j)), wasm_f32x4_mul(sv, wasm_v128_load(x + (j)))))
#define NORM_CHUNK(len) BY(len, NORM_STEP)

static __attribute__((noinline)) void norm_block(float *out, const float *x, const float *w, float ss) {
	v128_t sv = wasm_f32x4_splat(ss);
	int32_t j = 0;
	NORM_CHUNK(64);
}

static __attribute__((noinline)) void norm_tail(float *out, const float *x, const float *w, float ss, int32_t r) {
	v128_t sv = wasm_f32x4_splat(ss);
	int32_t j = 0;
	DECOMPOSE(r & ~3, NORM_CHUNK);
	if (r & 2) {
		out[j] = w[j] * (ss * x[j]);
		j++;
		out[j] = w[j] * (ss * x[j]);
		j++;
	}
	if (r & 1)
		out[j] = w[j] * (ss * x[j]);
}

EXPORT("rl_rmsnorm") int32_t rl_rmsnorm(float *out, const float *x, const float *w, int32_t n) {
	if (n < 0)
		return 1;
	float ss = 0.0f;
	int32_t j = 0;
	REPEAT(n / 64, (ss = ss_block(ss, x + j), j += 64));
	ss = ss_tail(ss, x + j, n - j);
	ss /= (float)n;
	ss += 1e-5f;
	ss = 1.0f / __builtin_sqrtf(ss);
	j = 0;
	REPEAT(n / 64, (norm_block(out + j, x + j, w + j, ss), j += 64));
	norm_tail(out + j, x + j, w + j, ss, n - j);
	return 0;
}

// ---------------------------------------------------------------------
// RoPE with the host's cos/sin table.

static inline void rotate(float *v, int32_t i, float c, float s) {
	float v0 = v[i], v1 = v[i + 1];
	v[i] = v0 * c - v1 * s;
	v[i + 1] = v0 * s + v1 * c;
}

// ROPE_STEP(j): v = (a0, a1, b0, b1), cs = (c0, s0, c1, s1):
// (a0·c0 - a1·s0, a0·s0 + a1·c0, b0·c1 - b1·s1, b0·s1 + b1·c1).
#define ROPE_STEP(j)                                                                   \
	do {                                                                               \
		v128_t vv_ = wasm_v128_load(v + (j)), cv_ = wasm_v128_load(cs + (j));          \
		v128_t p_ = wasm_f32x4_mul(vv_, cv_);                                          \
		v128_t p2_ = wasm_f32x4_mul(wasm_i32x4_shuffle(vv_, vv_, 1, 0, 3, 2), cv_);    \
		v128_t a_ = wasm_i32x4_shuffle(p_, p2_, 0, 5, 2, 7);                           \
		v128_t b_ = wasm_i32x4_shuffle(p_, p2_, 1, 4, 3, 6);                           \
		wasm_v128_store(v + (j), wasm_f32x4_add(a_, wasm_v128_xor(b_, negeven)));     \
	} while (0)
#define ROPE_CHUNK(len) BY(len, ROPE_STEP)

// rope_head rotates the len floats (len even) of one head.
static __attribute__((noinline)) void rope_head(float *v, const float *cs, int32_t len) {
	const v128_t negeven = wasm_i32x4_make((int32_t)0x80000000, 0, (int32_t)0x80000000, 0);
	int32_t j = 0;
	DECOMPOSE(len & ~3, ROPE_CHUNK);
	if (len & 2)
		rotate(v, j, cs[j], cs[j + 1]);
}

// rope_vec rotates the len floats of v, head after head.
static void rope_vec(float *v, int32_t len, int32_t hs, const float *cs) {
	int32_t h = 0;
	REPEAT(len / hs, (rope_head(v + h, cs, hs), h += hs));
	if (len - h > 0)
		rope_head(v + h, cs, len - h);
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

// The maximum: lane l keeps x[i]'s for i ≡ l mod 4 as the reference keeps
// its (replaced only by a greater value: pmax(m, v) = m < v ? v : m),
// starting from x[0]; the lanes are then combined the same way. It can
// differ from the reference's only in the sign of a zero maximum, which
// changes no x - max.
#define MAX_STEP(j) mv = wasm_f32x4_pmax(mv, wasm_v128_load(x + (j)))
#define MAX_CHUNK(len) BY(len, MAX_STEP)

static __attribute__((noinline)) v128_t max_block(v128_t mv, const float *x) {
	int32_t j = 0;
	MAX_CHUNK(64);
	return mv;
}

static __attribute__((noinline)) v128_t max_tail(v128_t mv, const float *x, int32_t r) {
	int32_t j = 0;
	DECOMPOSE(r & ~3, MAX_CHUNK);
	if (r & 2) {
		mv = wasm_f32x4_pmax(mv, wasm_v128_load32_splat(x + j));
		j++;
		mv = wasm_f32x4_pmax(mv, wasm_v128_load32_splat(x + j));
		j++;
	}
	if (r & 1)
		mv = wasm_f32x4_pmax(mv, wasm_v128_load32_splat(x + j));
	return mv;
}

// exp_block sets x[i] = expf(x[i] - max) for 16 floats and returns sum
// plus them, added in order.
#define EXP_STEP(j)                                                         \
	do {                                                                    \
		v128_t e_ = expf4(wasm_f32x4_sub(wasm_v128_load(x + (j)), mv));     \
		wasm_v128_store(x + (j), e_);                                       \
		sum += wasm_f32x4_extract_lane(e_, 0);                              \
		sum += wasm_f32x4_extract_lane(e_, 1);                              \
		sum += wasm_f32x4_extract_lane(e_, 2);                              \
		sum += wasm_f32x4_extract_lane(e_, 3);                              \
	} while (0)

static __attribute__((noinline)) float exp_block(float *x, v128_t mv, float sum) {
	int32_t j = 0;
	BY(16, EXP_STEP);
	return sum;
}

static __attribute__((noinline)) float exp_tail(float *x, v128_t mv, float sum, int32_t r) {
	int32_t j = 0;
	if (r & 8)
		BY(8, EXP_STEP);
	if (r & 4)
		BY(4, EXP_STEP);
	float max = wasm_f32x4_extract_lane(mv, 0);
	for (int32_t k = 0; k < 3; k++) // unrolled: no loop
		if (k < (r & 3)) {
			x[j] = expf_glibc(x[j] - max);
			sum += x[j];
			j++;
		}
	return sum;
}

#define DIV_STEP(j) wasm_v128_store(x + (j), wasm_f32x4_div(wasm_v128_load(x + (j)), sv))
#define DIV_CHUNK(len) BY(len, DIV_STEP)

static __attribute__((noinline)) void div_block(float *x, float sum) {
	v128_t sv = wasm_f32x4_splat(sum);
	int32_t j = 0;
	DIV_CHUNK(64);
}

static __attribute__((noinline)) void div_tail(float *x, float sum, int32_t r) {
	v128_t sv = wasm_f32x4_splat(sum);
	int32_t j = 0;
	DECOMPOSE(r & ~3, DIV_CHUNK);
	for (int32_t k = 0; k < 3; k++) // unrolled: no loop
		if (k < (r & 3))
			x[j + k] /= sum;
}

static void softmax(float *x, int32_t n) {
	if (n <= 0)
		return;
	v128_t mv = wasm_v128_load32_splat(x);
	int32_t i = 0;
	REPEAT(n / 64, (mv = max_block(mv, x + i), i += 64));
	mv = max_tail(mv, x + i, n - i);
	float max = wasm_f32x4_extract_lane(mv, 0);
	for (int32_t l = 1; l < 4; l++) { // unrolled: no loop
		float v = l == 1 ? wasm_f32x4_extract_lane(mv, 1) : l == 2 ? wasm_f32x4_extract_lane(mv, 2) : wasm_f32x4_extract_lane(mv, 3);
		if (v > max)
			max = v;
	}
	mv = wasm_f32x4_splat(max);
	float sum = 0.0f;
	i = 0;
	REPEAT(n / 16, (sum = exp_block(x + i, mv, sum), i += 16));
	sum = exp_tail(x + i, mv, sum, n - i);
	i = 0;
	REPEAT(n / 64, (div_block(x + i, sum), i += 64));
	div_tail(x + i, sum, n - i);
}

EXPORT("rl_softmax") int32_t rl_softmax(float *x, int32_t n) {
	if (n < 0)
		return 1;
	softmax(x, n);
	return 0;
}

#define SWIGLU_STEP(j)                                                                              \
	do {                                                                                            \
		v128_t v_ = wasm_v128_load(gate + (j));                                                     \
		v_ = wasm_f32x4_mul(v_, wasm_f32x4_div(one, wasm_f32x4_add(one, expf4(wasm_f32x4_neg(v_))))); \
		wasm_v128_store(gate + (j), wasm_f32x4_mul(v_, wasm_v128_load(up + (j))));                  \
	} while (0)

static __attribute__((noinline)) void swiglu_block(float *gate, const float *up) {
	const v128_t one = wasm_f32x4_splat(1.0f);
	int32_t j = 0;
	BY(16, SWIGLU_STEP);
}

static __attribute__((noinline)) void swiglu_tail(float *gate, const float *up, int32_t r) {
	const v128_t one = wasm_f32x4_splat(1.0f);
	int32_t j = 0;
	if (r & 8)
		BY(8, SWIGLU_STEP);
	if (r & 4)
		BY(4, SWIGLU_STEP);
	for (int32_t k = 0; k < 3; k++) // unrolled: no loop
		if (k < (r & 3)) {
			float v = gate[j + k];
			v *= 1.0f / (1.0f + expf_glibc(-v));
			gate[j + k] = v * up[j + k];
		}
}

EXPORT("rl_swiglu") int32_t rl_swiglu(float *gate, const float *up, int32_t n) {
	if (n < 0)
		return 1;
	int32_t i = 0;
	REPEAT(n / 16, (swiglu_block(gate + i, up + i), i += 16));
	swiglu_tail(gate + i, up + i, n - i);
	return 0;
}

// ---------------------------------------------------------------------
// Attention.

// score4 sets att[0..3] to q·k_t / scale for the four key rows k0, k0 +
// kv_dim, ..: lane l sums q·k_l in i's order, exactly as the reference.
// SCORE_STEP(j) transposes k0..k3[j..j+3]: column c, (k0[j+c], ..,
// k3[j+c]), times q[j+c], is added for c = 0, 1, 2, 3 in turn.
#define SCORE_STEP(j)                                                                                                        \
	do {                                                                                                                     \
		v128_t a_ = wasm_v128_load(k0 + (j)), b_ = wasm_v128_load(k1 + (j));                                                 \
		v128_t c_ = wasm_v128_load(k2 + (j)), d_ = wasm_v128_load(k3 + (j));                                                 \
		v128_t ab01_ = wasm_i32x4_shuffle(a_, b_, 0, 4, 1, 5), ab23_ = wasm_i32x4_shuffle(a_, b_, 2, 6, 3, 7);               \
		v128_t cd01_ = wasm_i32x4_shuffle(c_, d_, 0, 4, 1, 5), cd23_ = wasm_i32x4_shuffle(c_, d_, 2, 6, 3, 7);               \
		v128_t qv_ = wasm_v128_load(qh + (j));                                                                               \
		score = wasm_f32x4_add(score, wasm_f32x4_mul(wasm_i32x4_shuffle(qv_, qv_, 0, 0, 0, 0), wasm_i32x4_shuffle(ab01_, cd01_, 0, 1, 4, 5))); \
		score = wasm_f32x4_add(score, wasm_f32x4_mul(wasm_i32x4_shuffle(qv_, qv_, 1, 1, 1, 1), wasm_i32x4_shuffle(ab01_, cd01_, 2, 3, 6, 7))); \
		score = wasm_f32x4_add(score, wasm_f32x4_mul(wasm_i32x4_shuffle(qv_, qv_, 2, 2, 2, 2), wasm_i32x4_shuffle(ab23_, cd23_, 0, 1, 4, 5))); \
		score = wasm_f32x4_add(score, wasm_f32x4_mul(wasm_i32x4_shuffle(qv_, qv_, 3, 3, 3, 3), wasm_i32x4_shuffle(ab23_, cd23_, 2, 3, 6, 7))); \
	} while (0)
#define SCORE_CHUNK(len) BY(len, SCORE_STEP)

static __attribute__((noinline)) void score4(float *att, const float *qh, const float *k0, int32_t kv_dim, int32_t hs,
                                             float scale) {
	const float *k1 = k0 + kv_dim, *k2 = k1 + kv_dim, *k3 = k2 + kv_dim;
	v128_t score = wasm_f32x4_splat(0);
	int32_t j = 0;
	DECOMPOSE(hs & ~3, SCORE_CHUNK);
	for (int32_t k = 0; k < 3; k++) // unrolled: no loop
		if (k < (hs & 3)) {
			v128_t kv = wasm_v128_load32_zero(k0 + j);
			kv = wasm_v128_load32_lane(k1 + j, kv, 1);
			kv = wasm_v128_load32_lane(k2 + j, kv, 2);
			kv = wasm_v128_load32_lane(k3 + j, kv, 3);
			score = wasm_f32x4_add(score, wasm_f32x4_mul(wasm_v128_load32_splat(qh + j), kv));
			j++;
		}
	wasm_v128_store(att, wasm_f32x4_div(score, wasm_f32x4_splat(scale)));
}

// score1 is score4 for one row: the products four at a time, added in
// order.
#define SCORE1_STEP(j)                                                            \
	do {                                                                          \
		v128_t p_ = wasm_f32x4_mul(wasm_v128_load(qh + (j)), wasm_v128_load(kt + (j))); \
		score += wasm_f32x4_extract_lane(p_, 0);                                  \
		score += wasm_f32x4_extract_lane(p_, 1);                                  \
		score += wasm_f32x4_extract_lane(p_, 2);                                  \
		score += wasm_f32x4_extract_lane(p_, 3);                                  \
	} while (0)
#define SCORE1_CHUNK(len) BY(len, SCORE1_STEP)

static __attribute__((noinline)) void score1(float *att, const float *qh, const float *kt, int32_t hs, float scale) {
	float score = 0.0f;
	int32_t j = 0;
	DECOMPOSE(hs & ~3, SCORE1_CHUNK);
	for (int32_t k = 0; k < 3; k++) // unrolled: no loop
		if (k < (hs & 3)) {
			score += qh[j] * kt[j];
			j++;
		}
	*att = score / scale;
}

// xb_add8 adds att[t]·v_t[i] for t = 0..7 in turn to xb[i], i < hs, v_t
// = v + t·kv_dim: sixteen floats at a time in four vectors.
#define XB8_T(t, j)                                                                                   \
	do {                                                                                              \
		v128_t a_ = wasm_v128_load32_splat(att + (t));                                                \
		const float *vt_ = v + (t) * kv_dim + (j);                                                    \
		x0 = wasm_f32x4_add(x0, wasm_f32x4_mul(a_, wasm_v128_load(vt_)));                             \
		x1 = wasm_f32x4_add(x1, wasm_f32x4_mul(a_, wasm_v128_load(vt_ + 4)));                         \
		x2 = wasm_f32x4_add(x2, wasm_f32x4_mul(a_, wasm_v128_load(vt_ + 8)));                         \
		x3 = wasm_f32x4_add(x3, wasm_f32x4_mul(a_, wasm_v128_load(vt_ + 12)));                        \
		PIN4(x0, x1, x2, x3);                                                                         \
	} while (0)
#define XB8_STEP16(j)                                                                                  \
	do {                                                                                               \
		v128_t x0 = wasm_v128_load(xb + (j)), x1 = wasm_v128_load(xb + (j) + 4);                       \
		v128_t x2 = wasm_v128_load(xb + (j) + 8), x3 = wasm_v128_load(xb + (j) + 12);                  \
		_Pragma("clang loop unroll(full)") for (int32_t t_ = 0; t_ < 8; t_++) XB8_T(t_, j);           \
		wasm_v128_store(xb + (j), x0);                                                                 \
		wasm_v128_store(xb + (j) + 4, x1);                                                             \
		wasm_v128_store(xb + (j) + 8, x2);                                                             \
		wasm_v128_store(xb + (j) + 12, x3);                                                            \
	} while (0)
#define XB8_STEP4(j)                                                                                   \
	do {                                                                                               \
		v128_t x0 = wasm_v128_load(xb + (j));                                                          \
		_Pragma("clang loop unroll(full)") for (int32_t t_ = 0; t_ < 8; t_++)                         \
			x0 = wasm_f32x4_add(x0, wasm_f32x4_mul(wasm_v128_load32_splat(att + t_), wasm_v128_load(v + t_ * kv_dim + (j)))); \
		wasm_v128_store(xb + (j), x0);                                                                 \
	} while (0)
#define XB8_CHUNK(len)                                     \
	do {                                                   \
		if ((len) >= 16) {                                 \
			_Pragma("clang loop unroll(full)") for (int32_t k_ = 0; k_ < (len); k_ += 16) \
				XB8_STEP16(j + k_);                        \
		} else {                                           \
			_Pragma("clang loop unroll(full)") for (int32_t k_ = 0; k_ < (len); k_ += 4) \
				XB8_STEP4(j + k_);                         \
		}                                                  \
		j += (len);                                        \
	} while (0)

static __attribute__((noinline)) void xb_add8(float *xb, const float *att, const float *v, int32_t kv_dim, int32_t hs) {
	int32_t j = 0;
	DECOMPOSE(hs & ~3, XB8_CHUNK);
	for (int32_t k = 0; k < 3; k++) // unrolled: no loop
		if (k < (hs & 3)) {
			float x0 = xb[j];
			for (int32_t t = 0; t < 8; t++)
				x0 += att[t] * v[t * kv_dim + j];
			xb[j] = x0;
			j++;
		}
}

// xb_add1 is xb_add8 for one t.
#define XB1_STEP(j) \
	wasm_v128_store(xb + (j), wasm_f32x4_add(wasm_v128_load(xb + (j)), wasm_f32x4_mul(a, wasm_v128_load(v + (j)))))
#define XB1_CHUNK(len) BY(len, XB1_STEP)

static __attribute__((noinline)) void xb_add1(float *xb, const float *att, const float *v, int32_t hs) {
	v128_t a = wasm_v128_load32_splat(att);
	int32_t j = 0;
	DECOMPOSE(hs & ~3, XB1_CHUNK);
	for (int32_t k = 0; k < 3; k++) // unrolled: no loop
		if (k < (hs & 3)) {
			xb[j] += *att * v[j];
			j++;
		}
}

#define ZERO_STEP(j) wasm_v128_store(xb + (j), wasm_f32x4_splat(0))
#define ZERO_CHUNK(len) BY(len, ZERO_STEP)

// attention_head is one head of the reference's attention.
static __attribute__((noinline)) void attention_head(float *xb, const float *qh, const float *k, const float *v, float *att,
                                                     int32_t pos, int32_t kv_dim, int32_t hs, float scale) {
	int32_t n = pos + 1, t = 0;
	REPEAT(n / 4, (score4(att + t, qh, k + (size32)t * (size32)kv_dim, kv_dim, hs, scale), t += 4));
	for (int32_t l = 0; l < 3; l++) // unrolled: no loop
		if (l < (n & 3)) {
			score1(att + t, qh, k + (size32)t * (size32)kv_dim, hs, scale);
			t++;
		}
	softmax(att, n);
	// xb[i] = Σ_t att[t]·v_t[i], summed in t's order for each i from +0.
	int32_t j = 0;
	DECOMPOSE(hs & ~3, ZERO_CHUNK);
	for (int32_t l = 0; l < 3; l++) // unrolled: no loop
		if (l < (hs & 3))
			xb[j + l] = 0.0f;
	t = 0;
	REPEAT(n / 8, (xb_add8(xb, att + t, v + (size32)t * (size32)kv_dim, kv_dim, hs), t += 8));
	REPEAT(n & 7, (xb_add1(xb, att + t, v + (size32)t * (size32)kv_dim, hs), t++));
}

EXPORT("rl_attention")
int32_t rl_attention(float *out, const float *q, const float *keys, const float *values, float *att, int32_t pos,
                     int32_t heads, int32_t kv_heads, int32_t head_size) {
	if (pos < 0 || heads <= 0 || kv_heads <= 0 || heads % kv_heads != 0 || head_size < 0)
		return 1;
	int32_t hs = head_size, kv_dim = kv_heads * head_size, kv_mul = heads / kv_heads;
	float scale = __builtin_sqrtf((float)head_size);
	int32_t h = 0;
	REPEAT(heads, (attention_head(out + h * hs, q + h * hs, keys + (h / kv_mul) * hs, values + (h / kv_mul) * hs, att, pos,
	                              kv_dim, hs, scale),
	               h++));
	return 0;
}
