// Package mmx is a kernel provider ("mmx") for the Pentium II: the Q8_0
// MatMul of llama2.c's runq.c in MMX and x87 assembly (linux/386, GO386=
// softfloat, where every Go float32 operation is a software routine). It
// declines every other op and the fp32 MatMul in Supports, so a profile
// lists it before a provider that runs the rest. Its results are the
// scalar reference's bit for bit. It runs on one thread (the Pentium II
// has one core) and allocates nothing per call.
//
// A Weight is a view of the engine's int8 values and float32 scales:
// nothing is copied or widened, because a 128 MB Pentium II must hold
// stories15M's weights as they are mapped.
//
// # Algorithm
//
// MatMul(out, W, x) runs in four steps.
//
// 1. Quantize x (quantize, x87, precision control extended): per group,
// wmax = max |x| is the integer maximum of the values' bits with the sign
// cleared (magnitudes of non-NaN floats order as their bits; NaNs are
// skipped, as the reference's a > wmax skips them); the scale wmax/127 is
// divided in extended precision and stored as float32; r = 1/scale stays
// in extended; each value's v = float32(x·r) is a store and reload; and
// q is the low byte of the nearest integer to v ± 2^-27 (the sign of x).
//
// 2. Widen x to int16 (widen, MMX), eight values at a time with the even
// ones first, the order step 3 multiplies them in.
//
// 3. Integer dot products (matQ8, MMX), five rows per pass over x (MM1-
// MM5), PMADDWD taking x's values straight from memory. Eight weights
// are loaded straight from the row; PAND with 0xFF00 in every word
// leaves 256·(odd weight), PSLLW by 8 gives 256·(even weight); PMADDWD
// against x's odd and even values and PADDD into the row's two int32
// lanes (elements 0-3 and 4-7 of each chunk; a group's first chunk sets
// them instead); at the end of a group PSRAD by 8 drops the factor 256
// and the lanes are summed and stored, five rows' sums in a run. A call
// takes up to about 2048 sums (Provider.rowsQ8 cuts a matrix in such
// batches), then runs one EMMS before the x87 part.
// The layout follows the group size gs: a multiple of 8 is whole chunks;
// gs = 4 (stories260K) puts two groups in a chunk, one per lane; any
// other gs pads each group's x with zeros to a multiple of 8, the chunk
// then reading on into the next group's weights, which meet zeros. The
// rows whose last chunk would read past the end of the matrix (it may end
// a memory mapping) are read from a copy. Groups of more than 512 values
// are summed in sub-groups of at most 512, added in Go.
//
// 4. Scaling (matQ8, x87, precision control single): per row and group in
// order, FLD the weight's scale, FIMUL by the int32 sum (the same product
// as FILD then FMUL: the sum is exact as a float32), FMUL by x's, FADD
// into the row's sum. A row of one group (stories260K's per-matrix
// format) is its one product when every scale of the matrix is positive:
// the product is then never -0, so 0 + it is itself.
//
// # Why it is exact
//
// The integer sums: |256·w| ≤ 2^15 and |x| ≤ 128, so PMADDWD's products
// (≤ 2^22) and pair sums (≤ 2^23) are exact, and a lane of at most 512
// values holds at most 256·16384·256 = 2^30. Integer sums are the same in
// any order (and wrap alike beyond int32, as in C), so each group's sum
// is runq.c's.
//
// The scale: an extended quotient rounded again to float32 is the
// correctly rounded float32 quotient (double rounding is innocuous when
// the wider format has at least 2·24+2 bits), subnormal scales included,
// since the store rounds to float32's own range.
//
// v = float32(x·r) = float32(x/scale): write x = X·2^a and scale = S·2^b
// with X, S < 2^24. A float32 rounding boundary m (a midpoint between
// neighbouring floats) is an odd multiple of half an ulp, (2j+1)·2^(k-1)
// with 2j+1 ≥ 2^24 in the normal range; x/scale = m would need X =
// (2j+1)·S ≥ 2^24, so x/scale is never a boundary, and |x/scale - m| is a
// nonzero multiple of 2^min(a, k-1+b) divided by scale, which is at least
// 2^-49·|x/scale|. x·r rounded to extended is within 2^-63 of x/scale, so
// both round to the same float32. Below 2^-126, where the boundaries are
// denser, v rounds to the integer 0 either way, and an overflow is an
// infinity either way (from x/0 when a group of subnormals has scale 0).
//
// Rounding half away from zero: for |v| ≥ 1/4 the float32 values nearest
// a half integer k+0.5 are at least 2^-25 from it, so adding 2^-27
// towards v's sign (exact in extended) turns a tie into a value just past
// it, moves nothing else across a boundary, and FISTP's round to nearest
// then gives round(v); below 1/4 it gives 0. NaN, infinities and |v| ≥
// 2^31 give 0x80000000, low byte 0, as the reference's round8 documents
// for x86-64's cvttsd2si (the 0/0 of an all-zero group among them).
//
// The scaling: with precision control single, the x87 rounds every FMUL
// and FADD to 24 bits exactly as float32 does, except that its exponent
// is unbounded: a result beyond float32's range stays finite, and one
// below 2^-126 keeps 24 bits where a float32 subnormal keeps fewer. Those
// cannot occur when gs ≤ 512 (|ival| ≤ 2^23, exact in FILD and in
// float32) and every scale is 0 or 2^-63 ≤ |s| < 2^40: products stay
// below 2^103 and the row sum below 2^127; nonzero products are at least
// 2^-126; and a sum of float32 values that lands below 2^-126 is a
// multiple of 2^-149 there, exact in float32 too. Every real checkpoint
// and activation is in that range. When a matrix's or x's scales are
// not (NaN, infinity, subnormal or huge: hostile files, overflowing
// activations), or gs > 512, the scaling is the reference's Go expression
// instead, slower but the same bits.
//
// Every assembly function leaves the x87 stack empty, runs EMMS after its
// last MMX instruction and before any x87 one, and restores the caller's
// x87 control word. Only Pentium MMX / Pentium II instructions are used
// (no CMOV, no SSE-era MMX extensions); TestInstructionSet disassembles
// the build to check, since QEMU runs some that a real Pentium II lacks.
//
// On other GOARCHes the kernels are the Go definitions in kernels.go
// (the same layouts and reads), so the package builds and its tests run
// on the development machines; Usable then reports that the assembly is
// only in the 386 build, which keeps the provider out of profiles there.
// p2_test.go runs the tests of this package and internal/kernels/builtin's
// conformance suite on the emulated Pentium II.
package mmx
