// Package swar is a pure-Go kernel provider ("swar") that runs only the
// Q8_0 MatMul, doing three int8 multiply-adds with one 64-bit integer
// multiply (SIMD within a register). It declines every other op and the
// fp32 MatMul in Supports, so a profile lists it before a provider that
// runs the rest: default = [builtin.swar, builtin.unroll8]. Its results are
// the scalar reference's bit for bit, on any thread count and GOARCH.
//
// # The trick
//
// With K = 22, three weights w0, w1, w2 of a row are packed as the signed
// 64-bit value A = w0 + w1·2^22 + w2·2^44 (computed in int64, stored as
// its two's complement uint64), and the three matching activations in
// reverse order as B = x2 + x1·2^22 + x0·2^44. As integers,
//
//	A·B = c0 + c1·2^22 + c2·2^44 + c3·2^66 + c4·2^88
//	c0 = w0x2, c1 = w0x1 + w1x2, c2 = w0x0 + w1x1 + w2x2,
//	c3 = w1x0 + w2x1, c4 = w2x0,
//
// and modulo 2^64, which is what a wrapping 64-bit multiply computes,
// the c3 and c4 terms vanish (66 ≥ 64): A·B ≡ L + c2·2^44 with
// L = c0 + c1·2^22. Summing the products of n words modulo 2^64 gives
// acc ≡ L + S·2^44, where S = Σc2 is the dot product of the n·3 values
// and L = Σ(c0 + c1·2^22) the sum of the low parts.
//
// Extraction: if -2^43 ≤ L < 2^43 and -2^19 ≤ S-1 < 2^19, then
//
//	acc - 2^43 ≡ (L + 2^43) + (S-1)·2^44   (mod 2^64)
//
// with 0 ≤ L + 2^43 < 2^44, so the right-hand side lies in [-2^63, 2^63)
// and is exactly the int64 value of acc - 2^43; its arithmetic shift right
// by 44 is floor((S-1) + (L+2^43)/2^44) = S-1. Hence
//
//	S = int64(acc - 2^43) >> 44 + 1.
//
// The bias of one (rather than rounding with acc + 2^43) centres the
// 20-bit field on the range of S: with any int8 values on both sides
// (x = -128 does happen: runq's quantizer wraps in a group of subnormal
// activations, see scalar.Quantize, and a hostile file may hold -128
// weights) each product lies in [-128·127, 128·128] = [-16256, 16384], so
// a sub-block of at most 32 values has S in [-520192, 524288] and S-1 in
// [-520193, 524287] ⊂ [-2^19, 2^19). With 33 values the range of S
// (1077120 values) would not fit 2^20, so 32 is the most. The low part
// never limits: |c0| ≤ 2^14 and |c1| ≤ 2^15, so a word contributes at most
// 2^14 + 2^37 to |L|, and the 11 words of a 32-value sub-block at most
// 11·(2^37 + 2^14) < 2^41 < 2^43.
//
// # Layout and cost
//
// Each Q8_0 group of GroupSize values is cut into sub-blocks of 32 values,
// the last one shorter (GroupSize 32 is one sub-block of 11 words, 64 two),
// each packed as ceil(m/3) words whose unused slots are zero in both the
// weights and x, so they add nothing. A sub-block's sum is extracted,
// added in int32 to its group's (wrapping like the reference's int32), and
// each group's sum is scaled exactly as runq.c does,
// v += float32(float32(float32(d)·ws[g])·xs[g]), in group order: the
// result is the reference's, bit for bit.
//
// Weights are packed at Prepare into the provider's own memory on the Go
// heap: 8 bytes per 3 weights, rounded up per sub-block (2.75 bytes per
// weight when GroupSize is a multiple of 32, 11 words per 32 values; 4
// for GroupSize 4, 8 for 1; the engine's int8 tensor takes 1, and stays
// mapped for the reference's fallback), plus a copy of the scales: about
// 44 MB for stories15M's 15.2M Q8_0 weights at GroupSize 32, where the
// int8 tensors take 17 MB with their scales. Rows go by quads: word
// k of rows 4q..4q+3 are stored side by side, so one pass over x computes
// four rows, each packed x word loaded once for four multiplies, and a
// matrix whose row count is not a multiple of four gets zero rows to fill
// its last quad. x is quantized (with the reference's scalar.Quantize) and
// packed at every MatMul into buffers sized at Init and Prepare, so MatMul
// allocates nothing. Large matrices are split by quads over a persistent
// worker pool, like the unrolled provider's.
package swar
