// Package x87 is a kernel provider for x86 CPUs without SSE, the Pentium
// II first: every fp32 op of the contract in x87 assembly, bit-identical to
// the scalar reference. A GOARCH=386 GO386=softfloat build (the only Go
// build such a CPU runs) turns every float32 operation into a call to a
// software routine of ~100 instructions; these kernels use the FPU the CPU
// has instead. The Q8_0 MatMul is integer work and is declined (the mmx
// and swar providers run it), as is RoPE for an odd head size. One thread:
// a Pentium II has one core.
//
// # The ops
//
//   - MatMul: out[i] = Σ_j W[i][j]·x[j], each row's sum in j order as
//     scalar's, four rows per pass: their four sums stay on the x87 stack,
//     and each product is FLD x[j], FMUL W[i][j] from memory, FADDP into
//     its sum (one load, one multiply, one add: an x87 product takes no
//     fewer), four columns per loop pass. The four sums are independent,
//     so the FPU overlaps their adds (a P6 FADD takes 3 cycles, one can
//     start every cycle) while each is scalar's own sequence of operations.
//   - RMSNorm: sequential sum of squares, /n, +1e-5, 1/sqrtf (FSQRT, then
//     a division), out[j] = w[j]·(ss·x[j]).
//   - RoPE: a table of cos and sin for every position below SeqLen and
//     every pair of a head, computed once at Init in Go with scalar's
//     float32 expressions and mathf functions (so with scalar's bits), then
//     v0·cos - v1·sin and v0·sin + v1·cos in x87 code, products rounded
//     first. A position past the table gets its row computed at the call.
//   - Attention, per head: the scores are MatMul's loop over the key rows
//     (stride KVDim), divided by sqrtf(HeadSize); Softmax; then the
//     weighted sum of value rows, computed column by column: for each
//     out[i] that is the same sequence of adds as scalar's row by row
//     accumulation, with four out[i] on the stack and each weight loaded
//     once.
//   - Softmax: max (FUCOMI and FCMOV, with scalar's v > max semantics for
//     NaNs), x[i] = expf(x[i] - max) with a sequential sum, x[i] /= sum as
//     x[i]·(1/sum) (see Divide).
//   - Divide (attention's scores by sqrtf(HeadSize)): x[i]·R for R = 1/d
//     rounded to 64 bits, one FDIV a call: see below why that is the
//     correctly rounded quotient.
//   - SwiGLU: gate[i] = v·(1/(1+expf(-v)))·up[i], step by step as scalar.
//   - expf: glibc's algorithm exactly as kernels/mathf.Exp has it (x·32/ln2
//     rounded to an integer k by the 0x1.8p52 shift trick, 2^(k/32) from
//     the 32-entry table as float64 bits, a cubic in the remainder r, the
//     special cases -Inf → 0, NaN and +Inf → x+x, overflow → +Inf,
//     underflow → 0) in exp_x87.h, with no change of the control word.
//
// # Why the results are bit-identical
//
// The x87 unit computes in 80-bit registers, but its control word's
// precision control field rounds every FADD, FSUB, FMUL, FDIV and FSQRT
// result to a chosen significand width. With precision control single (24
// bits; cw24 in the assembly) each result is the exact result rounded once
// to float32's precision, which is what SSE's float32 instructions, and so
// llama2.c and scalar, compute; the loads of float32 operands are exact.
// So the same operations in the same order give the same bits. The one
// difference is the exponent range: a register keeps 15 exponent bits, so
// a result that would be subnormal or overflow in float32 is kept with
// more precision or range until it is stored. MatMul, RMSNorm, RoPE and
// the score and weighted sums of Attention keep values in registers and
// rely on cw24; they match scalar unless a product or sum falls below
// float32's normal range (2^-126) while the sum it enters is nearly as
// small, or exceeds float32's range, which model activations and weights
// never do.
//
// Where each step's result is stored as a float32 anyway (SwiGLU's steps,
// Softmax's steps and sum, Attention's divisions), the kernels run under
// precision control extended (cw64, which expf needs) and store every
// result as a float32 before the next step reads it: rounding the exact
// result to 64 bits and then to float32 equals rounding it once to float32
// for +, -, ·, / and sqrt (64 ≥ 2·24+2, the classic double-rounding
// bound), and the store rounds subnormals and overflows exactly as SSE
// does. These steps are exact for every input, tiny results of silu's
// tail and of a widely spread softmax included.
//
// A division x/d of float32s, where d is the same for many x (Softmax's
// sum, Attention's sqrtf(HeadSize)), is x·R with R = 1/d rounded to 64
// bits, the product rounded to 64 bits and then stored as a float32: x·R
// is within 2^-63 relative of x/d, while x/d, unless exact, is at least
// 2^-49 relative away from every float32 rounding boundary (a midpoint m
// between two float32s times d has up to 49 significant bits, so x - m·d
// is a nonzero multiple of a unit 2^-49 relative to x; if d is a power of
// two, R is exact). So both round to the same float32, subnormal results
// included; zeros, infinities and NaNs of x and d give what the division
// gives.
//
// expf works in double precision as glibc does, with three fused
// multiply-adds that the x87 unit lacks. exp_x87.h runs under cw64: its
// products are within 2^-64 of exact (where a double product would be
// within 2^-53), the values that glibc rounds to double (z = x·32/ln2, y1,
// y·s) are rounded to 64 bits and then to double by a float64 store (and
// a load), y = zz·r² + y1 is used to 64 bits, and the rounding of z to an
// integer k is FIST's, ties to even, as glibc's shift trick. So ours and
// glibc's differ only when an exact value lies within ~2^-64 relative of
// a rounding boundary of the double (or y's last 11 bits matter), and
// even then the float32 result changes only if the double lands on a
// float32 rounding boundary. That leaves a small chance, not a proof; the
// proof is exhaustive: the same instructions, assembled for amd64
// (exp_amd64.s), agree with mathf.Exp on all 2^32 float32 arguments
// (TestExpX87EveryFloat32 with RETROLLAMA_X87_EXHAUSTIVE set), and the
// 386 build agrees on 2^20 arguments on the emulated Pentium II.
//
// NaN payloads may differ from scalar's (the x87 unit propagates NaNs by
// its own rules); a NaN stays a NaN.
//
// # Control word discipline
//
// Every assembly function saves the caller's control word (FSTCW), loads
// its own with all exceptions masked and rounding to nearest (cw24 or
// cw64), and restores the caller's before returning, with the x87 stack
// as it found it (empty: Go code does not use it). Go does not preempt
// assembly functions asynchronously, and the kernel saves the FPU state
// of a thread it interrupts, so nothing else observes or changes the
// control word in between. expf runs under its callers' cw64 and never
// changes the control word (an FLDCW costs ~10 cycles on a P6).
//
// # Files and builds
//
// kernels_386.s holds the kernels and includes exp_x87.h; kernels_386.go
// declares them. On every other GOARCH kernels_other.go runs the Go
// versions in generic.go (scalar's arithmetic), so the package builds and
// its tests run everywhere; Usable then says the assembly is only in the
// 386 build, and the builtin registry skips the provider. The 386 tests
// compare the assembly with generic.go on guarded buffers and the provider
// with scalar; p2_test.go runs them, and the conformance suite, on the
// emulated Pentium II. Weights are kept as the engine's slices, never
// copied: stories15M's 61 MB must fit in a Pentium II's 128 MB beside
// everything else.
package x87
