#include "textflag.h"

// The fp32 kernels here never reassociate a sum (issue 16, "exact by
// construction"): every dot product is run.c's loop, val = 0, then
// val += w[j]·x[j] for j = 0, 1, 2, ... with the product rounded to
// float32 (VMULPS) and then the sum (VADDPS), never a fused multiply-add.
// The SIMD lanes go across independent sums (one matrix row, one
// attention position, one output element per lane), never within one, so
// every result is the scalar reference's bit for bit.

// COLUMNS8 adds columns j..j+7 of the 8 rows of a group at base (row r
// at base + r·S; BX = S, DX = 3S, R12 = 5S, R13 = 7S, in bytes) times
// x[j..j+7] to ACC, lane r for row r, column by column in order: per
// lane, 8 products rounded and then 8 sums in the reference's order.
// XLO and XHI hold x[j..j+3] and x[j+4..j+7] in both 128-bit halves. Each
// register is loaded with 4 columns of row k in its low half and the same
// columns of row k+4 in its high half (a 16-byte load and a VINSERTF128
// from memory), so that the 8×8 block of products transposes with
// in-lane unpacks and shuffles alone (on Zen 1 a VPERM2F128 between
// halves costs 8 µops); the weight is the products' first operand, as in
// the reference's loop, so a NaN propagates with the same payload. Y0..Y7
// and Y12, Y13 are scratch.
#define COLUMNS8(base, XLO, XHI, ACC) \
	VMOVUPS (base), X0 \
	VINSERTF128 $1, (base)(BX*4), Y0, Y0 \
	VMOVUPS (base)(BX*1), X1 \
	VINSERTF128 $1, (base)(R12*1), Y1, Y1 \
	VMOVUPS (base)(BX*2), X2 \
	VINSERTF128 $1, (base)(DX*2), Y2, Y2 \
	VMOVUPS (base)(DX*1), X3 \
	VINSERTF128 $1, (base)(R13*1), Y3, Y3 \
	VMOVUPS 16(base), X4 \
	VINSERTF128 $1, 16(base)(BX*4), Y4, Y4 \
	VMOVUPS 16(base)(BX*1), X5 \
	VINSERTF128 $1, 16(base)(R12*1), Y5, Y5 \
	VMOVUPS 16(base)(BX*2), X6 \
	VINSERTF128 $1, 16(base)(DX*2), Y6, Y6 \
	VMOVUPS 16(base)(DX*1), X7 \
	VINSERTF128 $1, 16(base)(R13*1), Y7, Y7 \
	VMULPS XLO, Y0, Y0 \
	VMULPS XLO, Y1, Y1 \
	VMULPS XLO, Y2, Y2 \
	VMULPS XLO, Y3, Y3 \
	VMULPS XHI, Y4, Y4 \
	VMULPS XHI, Y5, Y5 \
	VMULPS XHI, Y6, Y6 \
	VMULPS XHI, Y7, Y7 \
	VUNPCKLPS Y1, Y0, Y12 \
	VUNPCKHPS Y1, Y0, Y1 \
	VUNPCKLPS Y3, Y2, Y0 \
	VUNPCKHPS Y3, Y2, Y3 \
	VSHUFPS $0x44, Y0, Y12, Y2 \
	VADDPS Y2, ACC, ACC \
	VSHUFPS $0xEE, Y0, Y12, Y0 \
	VADDPS Y0, ACC, ACC \
	VSHUFPS $0x44, Y3, Y1, Y12 \
	VADDPS Y12, ACC, ACC \
	VSHUFPS $0xEE, Y3, Y1, Y1 \
	VADDPS Y1, ACC, ACC \
	VUNPCKLPS Y5, Y4, Y13 \
	VUNPCKHPS Y5, Y4, Y5 \
	VUNPCKLPS Y7, Y6, Y4 \
	VUNPCKHPS Y7, Y6, Y7 \
	VSHUFPS $0x44, Y4, Y13, Y6 \
	VADDPS Y6, ACC, ACC \
	VSHUFPS $0xEE, Y4, Y13, Y4 \
	VADDPS Y4, ACC, ACC \
	VSHUFPS $0x44, Y7, Y5, Y13 \
	VADDPS Y13, ACC, ACC \
	VSHUFPS $0xEE, Y7, Y5, Y5 \
	VADDPS Y5, ACC, ACC

// func matmulAVX2(out, w, x *float32, cols8, stride, groups int)
//
// out[r] = Σ_{j<cols8} w[r·stride+j]·x[j] for r < 8·groups, each sum in
// the reference's order from +0 (cols8 a multiple of 8, possibly 0;
// stride in floats). Lane r of an accumulator owns row r of an 8-row
// group: per 8 columns, the group's 8×8 block of products is transposed
// in registers and its columns added in order. Two groups (16 rows) go
// per pass while they last, so that two accumulators' chains of
// additions overlap (three or four measured slower: more rows streamed at
// once); then the last group alone. In a pass the second group runs 16
// columns (a cache line) behind the first, so that with a row stride of
// a multiple of 4 KiB (stories110M's w2: 2048 columns) the two groups'
// 16 lines do not all fall in one L1 set (8 ways): 1.15× there, the same
// elsewhere.
TEXT ·matmulAVX2(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ w+8(FP), R8
	MOVQ stride+32(FP), BX
	MOVQ groups+40(FP), AX
	SHLQ $2, BX              // S: a row, in bytes
	LEAQ (BX)(BX*2), DX      // 3S
	LEAQ (BX)(BX*4), R12     // 5S
	LEAQ (DX)(BX*4), R13     // 7S

block2:
	CMPQ AX, $2
	JLT  block1
	MOVQ x+16(FP), SI
	MOVQ cols8+24(FP), CX
	LEAQ (SI)(CX*4), CX      // the end of x's columns
	LEAQ (R8)(BX*8), R9      // group 1
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	CMPQ CX, SI
	JEQ  store2
	MOVQ cols8+24(FP), R10
	CMPQ R10, $16
	JLT  loop2               // too few columns to run the groups apart

	// The first group's first 16 columns alone.
	VBROADCASTF128 (SI), Y14
	VBROADCASTF128 16(SI), Y10
	COLUMNS8(R8, Y14, Y10, Y8)
	ADDQ $32, SI
	ADDQ $32, R8
	VBROADCASTF128 (SI), Y14
	VBROADCASTF128 16(SI), Y10
	COLUMNS8(R8, Y14, Y10, Y8)
	ADDQ $32, SI
	ADDQ $32, R8
	CMPQ SI, CX
	JEQ  lag2

skew2: // the first group at columns j.., the second at j-16..
	VBROADCASTF128 (SI), Y14
	VBROADCASTF128 16(SI), Y10
	VBROADCASTF128 -64(SI), Y15
	VBROADCASTF128 -48(SI), Y11
	COLUMNS8(R8, Y14, Y10, Y8)
	COLUMNS8(R9, Y15, Y11, Y9)
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, R9
	CMPQ SI, CX
	JNE  skew2

lag2: // the second group's last 16 columns alone
	VBROADCASTF128 -64(SI), Y15
	VBROADCASTF128 -48(SI), Y11
	COLUMNS8(R9, Y15, Y11, Y9)
	ADDQ $32, R9
	VBROADCASTF128 -32(SI), Y15
	VBROADCASTF128 -16(SI), Y11
	COLUMNS8(R9, Y15, Y11, Y9)
	ADDQ $32, R9
	JMP  store2

loop2:
	VBROADCASTF128 (SI), Y14
	VBROADCASTF128 16(SI), Y10
	COLUMNS8(R8, Y14, Y10, Y8)
	COLUMNS8(R9, Y14, Y10, Y9)
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, R9
	CMPQ SI, CX
	JNE  loop2

store2:
	VMOVUPS Y8, (DI)
	VMOVUPS Y9, 32(DI)
	ADDQ $64, DI
	MOVQ cols8+24(FP), CX    // back to column 0, then on to the next 16 rows
	SHLQ $2, CX
	SUBQ CX, R9
	LEAQ (R9)(BX*8), R8
	SUBQ $2, AX
	JMP  block2

block1:
	TESTQ AX, AX
	JLE  done
	MOVQ x+16(FP), SI
	MOVQ cols8+24(FP), CX
	LEAQ (SI)(CX*4), CX
	VXORPS Y8, Y8, Y8
	CMPQ SI, CX
	JEQ  store1

loop1:
	VBROADCASTF128 (SI), Y14
	VBROADCASTF128 16(SI), Y10
	COLUMNS8(R8, Y14, Y10, Y8)
	ADDQ $32, SI
	ADDQ $32, R8
	CMPQ SI, CX
	JNE  loop1

store1:
	VMOVUPS Y8, (DI)

done:
	VZEROUPPER
	RET

// func wsumAVX2(out, v, att *float32, n8, stride, t int)
//
// out[i] = Σ_{k<t} att[k]·v[k·stride+i] for i < n8 (a multiple of 8, t ≥
// 1), each sum from +0 over k in order: attention's weighted sum of the
// values, as the reference computes it (xb cleared, then xb[i] +=
// a·v[i] position after position). Lanes go across elements i, 64 per
// pass (eight accumulators, eight independent chains of additions), then
// 32, 16 and 8.
TEXT ·wsumAVX2(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ v+8(FP), SI
	MOVQ att+16(FP), R8
	MOVQ n8+24(FP), CX
	MOVQ stride+32(FP), BX
	MOVQ t+40(FP), R9
	SHLQ $2, BX
	LEAQ (R8)(R9*4), R9      // the end of att

ws64:
	CMPQ CX, $64
	JLT  ws32
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ R8, AX
	MOVQ SI, DX

ws64t:
	VBROADCASTSS (AX), Y8
	VMOVUPS (DX), Y9
	VMOVUPS 32(DX), Y10
	VMOVUPS 64(DX), Y11
	VMOVUPS 96(DX), Y12
	VMULPS Y8, Y9, Y9
	VMULPS Y8, Y10, Y10
	VMULPS Y8, Y11, Y11
	VMULPS Y8, Y12, Y12
	VADDPS Y9, Y0, Y0
	VADDPS Y10, Y1, Y1
	VADDPS Y11, Y2, Y2
	VADDPS Y12, Y3, Y3
	VMOVUPS 128(DX), Y9
	VMOVUPS 160(DX), Y10
	VMOVUPS 192(DX), Y11
	VMOVUPS 224(DX), Y12
	VMULPS Y8, Y9, Y9
	VMULPS Y8, Y10, Y10
	VMULPS Y8, Y11, Y11
	VMULPS Y8, Y12, Y12
	VADDPS Y9, Y4, Y4
	VADDPS Y10, Y5, Y5
	VADDPS Y11, Y6, Y6
	VADDPS Y12, Y7, Y7
	ADDQ $4, AX
	ADDQ BX, DX
	CMPQ AX, R9
	JNE  ws64t
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	ADDQ $256, DI
	ADDQ $256, SI
	SUBQ $64, CX
	JMP  ws64

ws32:
	CMPQ CX, $32
	JLT  ws16
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ R8, AX
	MOVQ SI, DX

ws32t:
	VBROADCASTSS (AX), Y8
	VMOVUPS (DX), Y9
	VMOVUPS 32(DX), Y10
	VMOVUPS 64(DX), Y11
	VMOVUPS 96(DX), Y12
	VMULPS Y8, Y9, Y9
	VMULPS Y8, Y10, Y10
	VMULPS Y8, Y11, Y11
	VMULPS Y8, Y12, Y12
	VADDPS Y9, Y0, Y0
	VADDPS Y10, Y1, Y1
	VADDPS Y11, Y2, Y2
	VADDPS Y12, Y3, Y3
	ADDQ $4, AX
	ADDQ BX, DX
	CMPQ AX, R9
	JNE  ws32t
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, DI
	ADDQ $128, SI
	SUBQ $32, CX

ws16:
	CMPQ CX, $16
	JLT  ws8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	MOVQ R8, AX
	MOVQ SI, DX

ws16t:
	VBROADCASTSS (AX), Y8
	VMOVUPS (DX), Y9
	VMOVUPS 32(DX), Y10
	VMULPS Y8, Y9, Y9
	VMULPS Y8, Y10, Y10
	VADDPS Y9, Y0, Y0
	VADDPS Y10, Y1, Y1
	ADDQ $4, AX
	ADDQ BX, DX
	CMPQ AX, R9
	JNE  ws16t
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ $64, DI
	ADDQ $64, SI
	SUBQ $16, CX

ws8:
	CMPQ CX, $8
	JLT  wsdone
	VXORPS Y0, Y0, Y0
	MOVQ R8, AX
	MOVQ SI, DX

ws8t:
	VBROADCASTSS (AX), Y8
	VMOVUPS (DX), Y9
	VMULPS Y8, Y9, Y9
	VADDPS Y9, Y0, Y0
	ADDQ $4, AX
	ADDQ BX, DX
	CMPQ AX, R9
	JNE  ws8t
	VMOVUPS Y0, (DI)

wsdone:
	VZEROUPPER
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

// func scaleMulAVX2(out, w, x *float32, s float32, n int)
//
// out[i] = w[i]·(s·x[i]) for any n ≥ 0: rmsnorm's elementwise step, two
// roundings per element in the reference's order and with its operand
// order (x·s, then that product times w), so the result is the
// reference's given the same s. out may be x.
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
	VMOVUPS (SI)(AX*4), Y0
	VMULPS Y3, Y0, Y0
	VMULPS (R8)(AX*4), Y0, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ $8, AX
	CMPQ AX, DX
	JLT  sm8

smtail:
	CMPQ AX, CX
	JGE  smret
	VMOVSS (SI)(AX*4), X0
	VMULSS X3, X0, X0
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

// PANELCOL4 is one column of 4 fp32 panels (panels.go): each panel's 8
// weights at its address, loaded (the weight the product's first
// operand, as in the reference's loop, so a NaN keeps its payload),
// multiplied by x[j] broadcast in Y15, then added to the panel's
// accumulator; T0..T3 scratch.
#define PANELCOL4(a0, a1, a2, a3, ACC0, ACC1, ACC2, ACC3, T0, T1, T2, T3) \
	VMOVUPS a0, T0 \
	VMOVUPS a1, T1 \
	VMOVUPS a2, T2 \
	VMOVUPS a3, T3 \
	VMULPS Y15, T0, T0 \
	VMULPS Y15, T1, T1 \
	VMULPS Y15, T2, T2 \
	VMULPS Y15, T3, T3 \
	VADDPS T0, ACC0, ACC0 \
	VADDPS T1, ACC1, ACC1 \
	VADDPS T2, ACC2, ACC2 \
	VADDPS T3, ACC3, ACC3

// Q8PANELSTEP is one 4-column step of a Q8_0 panel (q8panels.go): its 32
// bytes at addr (4 of each of 8 rows) times x's 4 bytes broadcast in Y0,
// each row's 4 products summed into its int32 lane of ACC. VPMADDUBSW
// takes |w| (VPABSB) and x carrying w's sign (VPSIGNB), as in
// q8dot4AVX2 (x holds no -128; the pair sums cannot saturate); Y15 holds
// 1 in every int16 for VPMADDWD. W and T scratch.
#define Q8PANELSTEP(addr, ACC, W, T) \
	VMOVDQU addr, W \
	VPSIGNB W, Y0, T \
	VPABSB W, W \
	VPMADDUBSW T, W, W \
	VPMADDWD Y15, W, W \
	VPADDD W, ACC, ACC

// Q8PANELEND ends a group for one Q8_0 panel: its 8 rows' exact int32
// sums in ACC converted, times their scales at scales, times x's scale
// broadcast in Y0, added to the rows' sums in FACC (runq.c's
// (float(ival)·ws)·xs, in its order).
#define Q8PANELEND(scales, ACC, FACC) \
	VCVTDQ2PS ACC, ACC \
	VMULPS scales, ACC, ACC \
	VMULPS Y0, ACC, ACC \
	VADDPS ACC, FACC, FACC

// func panelMatmulAVX2(out, panels, x *float32, cols, blocks int)
//
// out[i] = Σ_{j<cols} W[i][j]·x[j] for i < 64·blocks, the weights in
// panels of 8 rows stored column by column (panels.go: panel P at
// panels + P·cols·32 bytes, its column j the 8 floats at + j·32). Per pass
// a block of 8 panels (64 rows): per column j one broadcast of x[j] and,
// for each panel, its column loaded (the weight the first operand of the
// product, as in the reference's loop, so a NaN keeps its payload),
// VMULPS, then VADDPS into the panel's accumulator: 8 chains of additions
// in flight, 8 streams of loads, no shuffles. Each lane's sum runs j = 0,
// 1, ... from +0, the reference's. cols > 0.
TEXT ·panelMatmulAVX2(SB), NOSPLIT, $0-40
	MOVQ out+0(FP), DI
	MOVQ panels+8(FP), R8
	MOVQ cols+24(FP), BX
	MOVQ blocks+32(FP), AX
	SHLQ $5, BX              // S: a panel, in bytes
	LEAQ (BX)(BX*2), DX      // 3S
	LEAQ (BX)(BX*4), R12     // 5S
	LEAQ (DX)(BX*4), R13     // 7S

pblock:
	MOVQ x+16(FP), SI
	MOVQ cols+24(FP), CX
	LEAQ (SI)(CX*4), CX      // the end of x
	MOVQ R8, R9
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

pcol:
	VBROADCASTSS (SI), Y15
	PANELCOL4((R9), (R9)(BX*1), (R9)(BX*2), (R9)(DX*1), Y0, Y1, Y2, Y3, Y8, Y9, Y10, Y11)
	PANELCOL4((R9)(BX*4), (R9)(R12*1), (R9)(DX*2), (R9)(R13*1), Y4, Y5, Y6, Y7, Y12, Y13, Y14, Y8)
	ADDQ $32, R9
	ADDQ $4, SI
	CMPQ SI, CX
	JNE  pcol

	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	ADDQ $256, DI
	LEAQ (R8)(BX*8), R8      // the next block: 8 panels on
	DECQ AX
	JNZ  pblock

	VZEROUPPER
	RET

// func q8PanelAVX2(out *float32, panels *int8, s32 *float32, xq *int8, xs *float32, cols, gs, blocks int)
//
// The Q8_0 matmul on panels (q8panels.go): out[i] for i < 32·blocks, each
// row runq.c's sum: per group of gs columns (a multiple of 32; x
// quantized into xq, no value -128, and xs) the exact int32 sum of the
// products, then val += (float32(ival)·ws)·xs, from +0, in group order.
// Per pass a block of 4 panels (32 rows, 4 load streams): per 4 columns
// one broadcast of x's 4 bytes and, per panel, VPSIGNB/VPABSB/VPMADDUBSW/
// VPMADDWD (as in q8dot4AVX2, the pair sums cannot saturate) into the
// panel's int32 accumulator, lane r for row r; at the group's end each
// accumulator is converted (VCVTDQ2PS), multiplied by the 8 rows' scales
// and by x's, and added to the panel's float accumulator.
TEXT ·q8PanelAVX2(SB), NOSPLIT, $0-64
	MOVQ out+0(FP), DI
	MOVQ panels+8(FP), R8
	MOVQ s32+16(FP), R12
	MOVQ cols+40(FP), BX
	MOVQ blocks+56(FP), AX
	SHLQ $3, BX              // P: a panel, in bytes (8 rows × cols)
	LEAQ (BX)(BX*2), R11     // 3P
	VPCMPEQW Y15, Y15, Y15   // all ones: -1 in every int16
	VPSRLW $15, Y15, Y15     // 1 in every int16

qpblock:
	MOVQ xq+24(FP), SI
	MOVQ xs+32(FP), DX
	MOVQ R8, R9
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	MOVQ cols+40(FP), R13    // columns left

qpgroup:
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	MOVQ gs+48(FP), CX

qpstep:
	VPBROADCASTD (SI), Y0
	Q8PANELSTEP((R9), Y4, Y1, Y2)
	Q8PANELSTEP((R9)(BX*1), Y5, Y3, Y12)
	Q8PANELSTEP((R9)(BX*2), Y6, Y1, Y2)
	Q8PANELSTEP((R9)(R11*1), Y7, Y3, Y12)
	ADDQ $4, SI
	ADDQ $32, R9
	SUBQ $4, CX
	JGT  qpstep

	// The group's end: per panel, float32(ival)·ws·xs added to the sums.
	VBROADCASTSS (DX), Y0
	Q8PANELEND(0(R12), Y4, Y8)
	Q8PANELEND(32(R12), Y5, Y9)
	Q8PANELEND(64(R12), Y6, Y10)
	Q8PANELEND(96(R12), Y7, Y11)
	ADDQ $128, R12
	ADDQ $4, DX
	SUBQ gs+48(FP), R13
	JGT  qpgroup

	VMOVUPS Y8, (DI)
	VMOVUPS Y9, 32(DI)
	VMOVUPS Y10, 64(DI)
	VMOVUPS Y11, 96(DI)
	ADDQ $128, DI
	LEAQ (R8)(BX*4), R8      // the next block: 4 panels on
	DECQ AX
	JNZ  qpblock

	VZEROUPPER
	RET

// func divAVX2(x *float32, s float32, n int)
//
// x[i] = x[i] / s for i < n, eight at a time: attention's division of
// the scores by sqrt(head size) and softmax's by the sum, each a
// correctly rounded IEEE division as the reference's, so the order of
// the elements does not matter.
TEXT ·divAVX2(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), DI
	VBROADCASTSS s+8(FP), Y3
	MOVQ n+16(FP), CX
	XORQ AX, AX
	MOVQ CX, DX
	ANDQ $-8, DX
	JZ   dvtail

dv8:
	VMOVUPS (DI)(AX*4), Y0
	VDIVPS Y3, Y0, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ $8, AX
	CMPQ AX, DX
	JLT  dv8

dvtail:
	CMPQ AX, CX
	JGE  dvret
	VMOVSS (DI)(AX*4), X0
	VDIVSS X3, X0, X0
	VMOVSS X0, (DI)(AX*4)
	INCQ AX
	JMP  dvtail

dvret:
	VZEROUPPER
	RET

// func panel4MatmulAVX2(out, panels, x *float32, cols int)
//
// panelMatmulAVX2's pass for 4 panels (32 rows) once: 4 streams and 4
// chains of additions, for a split of a matrix over the pool that leaves
// half a block (panels.go).
TEXT ·panel4MatmulAVX2(SB), NOSPLIT, $0-32
	MOVQ out+0(FP), DI
	MOVQ panels+8(FP), R9
	MOVQ cols+24(FP), BX
	MOVQ x+16(FP), SI
	LEAQ (SI)(BX*4), CX      // the end of x
	SHLQ $5, BX              // S: a panel, in bytes
	LEAQ (BX)(BX*2), DX      // 3S
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

p4col:
	VBROADCASTSS (SI), Y15
	PANELCOL4((R9), (R9)(BX*1), (R9)(BX*2), (R9)(DX*1), Y0, Y1, Y2, Y3, Y8, Y9, Y10, Y11)
	ADDQ $32, R9
	ADDQ $4, SI
	CMPQ SI, CX
	JNE  p4col

	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VZEROUPPER
	RET

// func q8Panel2AVX2(out *float32, panels *int8, s32 *float32, xq *int8, xs *float32, cols, gs int)
//
// q8PanelAVX2's arithmetic for 2 panels (16 rows) once, for a split of a
// matrix over the pool at half a block (q8panels.go); s32 points at the
// first panel's scales within its block (groups 128 bytes apart).
TEXT ·q8Panel2AVX2(SB), NOSPLIT, $0-56
	MOVQ out+0(FP), DI
	MOVQ panels+8(FP), R9
	MOVQ s32+16(FP), R12
	MOVQ xq+24(FP), SI
	MOVQ xs+32(FP), DX
	MOVQ cols+40(FP), BX
	MOVQ BX, R13             // columns left
	SHLQ $3, BX              // P: a panel, in bytes
	VPCMPEQW Y15, Y15, Y15
	VPSRLW $15, Y15, Y15     // 1 in every int16
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9

q2group:
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	MOVQ gs+48(FP), CX

q2step:
	VPBROADCASTD (SI), Y0
	Q8PANELSTEP((R9), Y4, Y1, Y2)
	Q8PANELSTEP((R9)(BX*1), Y5, Y3, Y12)
	ADDQ $4, SI
	ADDQ $32, R9
	SUBQ $4, CX
	JGT  q2step

	VBROADCASTSS (DX), Y0
	Q8PANELEND(0(R12), Y4, Y8)
	Q8PANELEND(32(R12), Y5, Y9)
	ADDQ $128, R12
	ADDQ $4, DX
	SUBQ gs+48(FP), R13
	JGT  q2group

	VMOVUPS Y8, (DI)
	VMOVUPS Y9, 32(DI)
	VZEROUPPER
	RET

// func readAVX2(p *float32, n int) float32
//
// Reads n floats (a multiple of 64) as 8 streams, the panels' access
// pattern, adding them into 8 accumulators; for BenchmarkReadBandwidth,
// which measures the read bandwidth the matmuls are compared with. The
// sum is returned only so the reads cannot be elided.
TEXT ·readAVX2(SB), NOSPLIT, $0-20
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), BX
	SHLQ $2, BX              // bytes
	SHRQ $3, BX              // S: a stream, in bytes
	LEAQ (BX)(BX*2), DX      // 3S
	LEAQ (BX)(BX*4), R12     // 5S
	LEAQ (DX)(BX*4), R13     // 7S
	LEAQ (SI)(BX*1), CX      // the end of stream 0
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

rdloop:
	VADDPS (SI), Y0, Y0
	VADDPS (SI)(BX*1), Y1, Y1
	VADDPS (SI)(BX*2), Y2, Y2
	VADDPS (SI)(DX*1), Y3, Y3
	VADDPS (SI)(BX*4), Y4, Y4
	VADDPS (SI)(R12*1), Y5, Y5
	VADDPS (SI)(DX*2), Y6, Y6
	VADDPS (SI)(R13*1), Y7, Y7
	ADDQ $32, SI
	CMPQ SI, CX
	JLT  rdloop

	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y5, Y4, Y4
	VADDPS Y7, Y6, Y6
	VADDPS Y2, Y0, Y0
	VADDPS Y6, Y4, Y4
	VADDPS Y4, Y0, Y0
	VMOVSS X0, ret+16(FP)
	VZEROUPPER
	RET
