#include "textflag.h"

// func dot4AVX2(w0, w1, w2, w3, x *float32, n int) (s0, s1, s2, s3 float32)
//
// Four rows' dot products with x over n floats, n a multiple of 16: x is
// loaded once per 16 floats for all four rows, and each row keeps two
// independent 8-lane FMA accumulators (8 in all, Y4–Y11), so the FMA
// latency is covered and a pass streams four weight rows.
TEXT ·dot4AVX2(SB), NOSPLIT, $0-64
	MOVQ w0+0(FP), R8
	MOVQ w1+8(FP), R9
	MOVQ w2+16(FP), R10
	MOVQ w3+24(FP), R11
	MOVQ x+32(FP), SI
	MOVQ n+40(FP), CX
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	XORQ AX, AX
	CMPQ CX, $0
	JLE  reduce

loop:
	VMOVUPS (SI)(AX*4), Y0
	VMOVUPS 32(SI)(AX*4), Y1
	VFMADD231PS (R8)(AX*4), Y0, Y4
	VFMADD231PS 32(R8)(AX*4), Y1, Y5
	VFMADD231PS (R9)(AX*4), Y0, Y6
	VFMADD231PS 32(R9)(AX*4), Y1, Y7
	VFMADD231PS (R10)(AX*4), Y0, Y8
	VFMADD231PS 32(R10)(AX*4), Y1, Y9
	VFMADD231PS (R11)(AX*4), Y0, Y10
	VFMADD231PS 32(R11)(AX*4), Y1, Y11
	ADDQ $16, AX
	CMPQ AX, CX
	JLT  loop

reduce:
	// Each row: its two accumulators, then the 8 lanes, summed in a
	// fixed order (so results do not depend on anything but n).
	VADDPS Y5, Y4, Y4
	VADDPS Y7, Y6, Y6
	VADDPS Y9, Y8, Y8
	VADDPS Y11, Y10, Y10
	VEXTRACTF128 $1, Y4, X5
	VADDPS X5, X4, X4
	VEXTRACTF128 $1, Y6, X7
	VADDPS X7, X6, X6
	VEXTRACTF128 $1, Y8, X9
	VADDPS X9, X8, X8
	VEXTRACTF128 $1, Y10, X11
	VADDPS X11, X10, X10
	VHADDPS X4, X4, X4
	VHADDPS X4, X4, X4
	VHADDPS X6, X6, X6
	VHADDPS X6, X6, X6
	VHADDPS X8, X8, X8
	VHADDPS X8, X8, X8
	VHADDPS X10, X10, X10
	VHADDPS X10, X10, X10
	VZEROUPPER
	MOVSS X4, s0+48(FP)
	MOVSS X6, s1+52(FP)
	MOVSS X8, s2+56(FP)
	MOVSS X10, s3+60(FP)
	RET

// func dot1AVX2(w, x *float32, n int) float32
//
// One row's dot product over n floats, n a multiple of 16: four
// independent 8-lane accumulators over 32 floats per pass while they
// last, then 16 at a time.
TEXT ·dot1AVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), R8
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	XORQ AX, AX
	CMPQ CX, $0
	JLE  done1

loop1:
	VMOVUPS (SI)(AX*4), Y0
	VMOVUPS 32(SI)(AX*4), Y1
	VFMADD231PS (R8)(AX*4), Y0, Y4
	VFMADD231PS 32(R8)(AX*4), Y1, Y5
	ADDQ $16, AX
	CMPQ AX, CX
	JLT  loop1

done1:
	VADDPS Y5, Y4, Y4
	VEXTRACTF128 $1, Y4, X5
	VADDPS X5, X4, X4
	VHADDPS X4, X4, X4
	VHADDPS X4, X4, X4
	VZEROUPPER
	MOVSS X4, ret+24(FP)
	RET

// func q8dot4AVX2(w0, w1, w2, w3 *int8, ws *float32, xq *int8, xs *float32, groups, gs int, out *[4]float32)
//
// Four rows of a Q8_0 matmul (runq.c's arithmetic): for each group of gs
// values (gs a multiple of 32) the exact int32 dot product of each row's
// int8 weights with the quantized x, then per row
// val += (float32(ival)·ws)·xs, two roundings and an add, in group order,
// four rows in the four lanes of X10. ws holds the groups' scales of the
// four rows interleaved: ws[4g+r]. The products: VPMADDUBSW multiplies
// unsigned by signed bytes, so it is given |w| (VPABSB: -128 becomes 128,
// still right as unsigned) and x carrying w's sign (VPSIGNB); x must not
// hold -128 (its negation wraps), which the caller checks. 128·127·2 <
// 32767: the pair sums never saturate. VPMADDWD by ones widens the pairs
// to int32.
TEXT ·q8dot4AVX2(SB), NOSPLIT, $0-80
	MOVQ w0+0(FP), R8
	MOVQ w1+8(FP), R9
	MOVQ w2+16(FP), R10
	MOVQ w3+24(FP), R11
	MOVQ ws+32(FP), DX
	MOVQ xq+40(FP), SI
	MOVQ xs+48(FP), DI
	MOVQ groups+56(FP), BX
	MOVQ gs+64(FP), CX
	VPCMPEQW Y15, Y15, Y15 // all ones: -1 in every int16
	VPSRLW $15, Y15, Y15   // 1 in every int16
	VXORPS X10, X10, X10
	XORQ AX, AX            // byte offset into x and the rows
	CMPQ BX, $0
	JLE  q8done

q8group:
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	MOVQ CX, R12

q8inner:
	VMOVDQU (SI)(AX*1), Y0
	VMOVDQU (R8)(AX*1), Y1
	VPSIGNB Y1, Y0, Y2
	VPABSB Y1, Y1
	VPMADDUBSW Y2, Y1, Y1
	VPMADDWD Y15, Y1, Y1
	VPADDD Y1, Y4, Y4
	VMOVDQU (R9)(AX*1), Y1
	VPSIGNB Y1, Y0, Y2
	VPABSB Y1, Y1
	VPMADDUBSW Y2, Y1, Y1
	VPMADDWD Y15, Y1, Y1
	VPADDD Y1, Y5, Y5
	VMOVDQU (R10)(AX*1), Y1
	VPSIGNB Y1, Y0, Y2
	VPABSB Y1, Y1
	VPMADDUBSW Y2, Y1, Y1
	VPMADDWD Y15, Y1, Y1
	VPADDD Y1, Y6, Y6
	VMOVDQU (R11)(AX*1), Y1
	VPSIGNB Y1, Y0, Y2
	VPABSB Y1, Y1
	VPMADDUBSW Y2, Y1, Y1
	VPMADDWD Y15, Y1, Y1
	VPADDD Y1, Y7, Y7
	ADDQ $32, AX
	SUBQ $32, R12
	JGT  q8inner

	// The four rows' sums: pairwise adds leave lanes (r0, r1, r2, r3)
	// in each 128-bit half; the halves add to the exact int32 sums.
	VPHADDD Y5, Y4, Y4
	VPHADDD Y7, Y6, Y6
	VPHADDD Y6, Y4, Y4
	VEXTRACTI128 $1, Y4, X5
	VPADDD X5, X4, X4
	VCVTDQ2PS X4, X4
	VMULPS (DX), X4, X4
	VBROADCASTSS (DI), X5
	VMULPS X5, X4, X4
	VADDPS X4, X10, X10
	ADDQ $16, DX
	ADDQ $4, DI
	DECQ BX
	JGT  q8group

q8done:
	VZEROUPPER
	MOVQ out+72(FP), R13
	VMOVUPS X10, (R13)
	RET

// func dotAVX2(a, b *float32, n int) float32
//
// Σ a[i]·b[i] for any n ≥ 0: 32 floats per pass in four 8-lane FMA
// accumulators, then 8 at a time, then one at a time; the accumulators
// are summed in a fixed order. For the short sums of attention (a head's
// q·k) and rmsnorm (x·x).
TEXT ·dotAVX2(SB), NOSPLIT, $0-28
	MOVQ a+0(FP), R8
	MOVQ b+8(FP), SI
	MOVQ n+16(FP), CX
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	XORQ AX, AX
	MOVQ CX, DX
	ANDQ $-32, DX
	JZ   dot8

dot32:
	VMOVUPS (SI)(AX*4), Y0
	VMOVUPS 32(SI)(AX*4), Y1
	VMOVUPS 64(SI)(AX*4), Y2
	VMOVUPS 96(SI)(AX*4), Y3
	VFMADD231PS (R8)(AX*4), Y0, Y4
	VFMADD231PS 32(R8)(AX*4), Y1, Y5
	VFMADD231PS 64(R8)(AX*4), Y2, Y6
	VFMADD231PS 96(R8)(AX*4), Y3, Y7
	ADDQ $32, AX
	CMPQ AX, DX
	JLT  dot32

dot8:
	MOVQ CX, DX
	ANDQ $-8, DX
	CMPQ AX, DX
	JGE  dotsum

dot8loop:
	VMOVUPS (SI)(AX*4), Y0
	VFMADD231PS (R8)(AX*4), Y0, Y4
	ADDQ $8, AX
	CMPQ AX, DX
	JLT  dot8loop

dotsum:
	VADDPS Y5, Y4, Y4
	VADDPS Y7, Y6, Y6
	VADDPS Y6, Y4, Y4
	VEXTRACTF128 $1, Y4, X5
	VADDPS X5, X4, X4
	VHADDPS X4, X4, X4
	VHADDPS X4, X4, X4
	CMPQ AX, CX
	JGE  dotret

dottail:
	VMOVSS (SI)(AX*4), X0
	VFMADD231SS (R8)(AX*4), X0, X4
	INCQ AX
	CMPQ AX, CX
	JLT  dottail

dotret:
	VZEROUPPER
	MOVSS X4, ret+24(FP)
	RET

// func axpyAVX2(y, x *float32, a float32, n int)
//
// y[i] += a·x[i] for any n ≥ 0, one fused multiply-add each: attention's
// weighted sum of the values.
TEXT ·axpyAVX2(SB), NOSPLIT, $0-32
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	VBROADCASTSS a+16(FP), Y3
	MOVQ n+24(FP), CX
	XORQ AX, AX
	MOVQ CX, DX
	ANDQ $-16, DX
	JZ   axpy8

axpy16:
	VMOVUPS (DI)(AX*4), Y0
	VMOVUPS 32(DI)(AX*4), Y1
	VFMADD231PS (SI)(AX*4), Y3, Y0
	VFMADD231PS 32(SI)(AX*4), Y3, Y1
	VMOVUPS Y0, (DI)(AX*4)
	VMOVUPS Y1, 32(DI)(AX*4)
	ADDQ $16, AX
	CMPQ AX, DX
	JLT  axpy16

axpy8:
	MOVQ CX, DX
	ANDQ $-8, DX
	CMPQ AX, DX
	JGE  axpytail

	VMOVUPS (DI)(AX*4), Y0
	VFMADD231PS (SI)(AX*4), Y3, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ $8, AX

axpytail:
	CMPQ AX, CX
	JGE  axpyret
	VMOVSS (DI)(AX*4), X0
	VFMADD231SS (SI)(AX*4), X3, X0
	VMOVSS X0, (DI)(AX*4)
	INCQ AX
	JMP  axpytail

axpyret:
	VZEROUPPER
	RET

// func scaleMulAVX2(out, w, x *float32, s float32, n int)
//
// out[i] = w[i]·(s·x[i]) for any n ≥ 0, two roundings in rmsnorm's
// order (so the result is the reference's given the same s). out may be x.
TEXT ·scaleMulAVX2(SB), NOSPLIT, $0-40
	MOVQ out+0(FP), DI
	MOVQ w+8(FP), R8
	MOVQ x+16(FP), SI
	VBROADCASTSS s+24(FP), Y3
	MOVQ n+32(FP), CX
	XORQ AX, AX
	MOVQ CX, DX
	ANDQ $-8, DX
	JZ   smtail

sm8:
	VMULPS (SI)(AX*4), Y3, Y0
	VMULPS (R8)(AX*4), Y0, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ $8, AX
	CMPQ AX, DX
	JLT  sm8

smtail:
	CMPQ AX, CX
	JGE  smret
	VMULSS (SI)(AX*4), X3, X0
	VMULSS (R8)(AX*4), X0, X0
	VMOVSS X0, (DI)(AX*4)
	INCQ AX
	JMP  smtail

smret:
	VZEROUPPER
	RET

// Permutation that undoes VPACKSSDW/VPACKSSWB's per-128-bit-lane
// interleaving: dwords (A0-3 B0-3 C0-3 D0-3 A4-7 B4-7 C4-7 D4-7) to A B C D.
DATA packperm<>+0(SB)/4, $0
DATA packperm<>+4(SB)/4, $4
DATA packperm<>+8(SB)/4, $1
DATA packperm<>+12(SB)/4, $5
DATA packperm<>+16(SB)/4, $2
DATA packperm<>+20(SB)/4, $6
DATA packperm<>+24(SB)/4, $3
DATA packperm<>+28(SB)/4, $7
GLOBL packperm<>(SB), RODATA|NOPTR, $32

// QROUND8 divides the 8 floats at off(SI) by the scale in Y6 and rounds
// them half away from zero to int32 in dst: t = trunc(f); t ± 1 where
// |f - t| ≥ 0.5 (f - t is exact). That is C's round() of runq.c, and
// Go's math.Round of the reference, for every finite f.
#define QROUND8(off, dst) \
	VMOVUPS off(SI), Y0 \
	VDIVPS Y6, Y0, Y0 \
	VROUNDPS $3, Y0, Y1 \
	VSUBPS Y1, Y0, Y2 \
	VANDPS Y12, Y2, Y2 \
	VCMPPS $0x0d, Y13, Y2, Y2 \
	VANDPS Y14, Y0, Y3 \
	VORPS Y15, Y3, Y3 \
	VANDPS Y2, Y3, Y3 \
	VADDPS Y3, Y1, Y1 \
	VCVTTPS2DQ Y1, dst

// func quantizeAVX2(xq *int8, xs *float32, x *float32, groups, gs int) (nan bool)
//
// The reference's quantization of x (scalar.Quantize, runq.c's
// quantize): per group of gs floats (a multiple of 32) scale =
// max|x|/127 and q = round(x/scale). Bit-identical to it whenever every
// scale is a normal float32 and x holds no NaN, which the caller checks
// (it reports NaN; the scales it checks itself) before trusting xq and
// xs; then |x/scale| < 127.5, so the saturating packs never saturate.
TEXT ·quantizeAVX2(SB), NOSPLIT, $0-41
	MOVQ xq+0(FP), DI
	MOVQ xs+8(FP), DX
	MOVQ x+16(FP), SI
	MOVQ groups+24(FP), BX
	MOVQ gs+32(FP), CX
	MOVL $0x7fffffff, AX
	VMOVD AX, X12
	VPBROADCASTD X12, Y12 // |.| mask
	MOVL $0x3f000000, AX
	VMOVD AX, X13
	VPBROADCASTD X13, Y13 // 0.5
	MOVL $0x80000000, AX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14 // sign mask
	MOVL $0x3f800000, AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15 // 1.0
	MOVL $0x42fe0000, AX
	VMOVD AX, X11         // 127.0
	VMOVDQU packperm<>(SB), Y7
	VXORPS Y5, Y5, Y5     // NaN lanes seen
	CMPQ BX, $0
	JLE  qdone

qgroup:
	// Pass 1: max |x| over the group.
	VXORPS Y4, Y4, Y4
	XORQ AX, AX

qmax:
	VMOVUPS (SI)(AX*4), Y0
	VCMPPS $3, Y0, Y0, Y2 // unordered: NaN
	VORPS Y2, Y5, Y5
	VANDPS Y12, Y0, Y1
	VMAXPS Y4, Y1, Y4
	ADDQ $8, AX
	CMPQ AX, CX
	JLT  qmax

	VEXTRACTF128 $1, Y4, X1
	VMAXPS X1, X4, X4
	VMOVHLPS X4, X4, X1
	VMAXPS X1, X4, X4
	VMOVSHDUP X4, X1
	VMAXSS X1, X4, X4
	VDIVSS X11, X4, X4    // scale = max / 127
	VMOVSS X4, (DX)
	VBROADCASTSS X4, Y6

	// Pass 2: 32 values at a time to int8.
	MOVQ CX, R8

qpack:
	QROUND8(0, Y8)
	QROUND8(32, Y9)
	QROUND8(64, Y10)
	QROUND8(96, Y4)
	VPACKSSDW Y9, Y8, Y8
	VPACKSSDW Y4, Y10, Y10
	VPACKSSWB Y10, Y8, Y8
	VPERMD Y8, Y7, Y8
	VMOVDQU Y8, (DI)
	ADDQ $128, SI
	ADDQ $32, DI
	SUBQ $32, R8
	JGT  qpack

	ADDQ $4, DX
	DECQ BX
	JGT  qgroup

qdone:
	VMOVMSKPS Y5, AX
	VZEROUPPER
	TESTL AX, AX
	SETNE nan+40(FP)
	RET
