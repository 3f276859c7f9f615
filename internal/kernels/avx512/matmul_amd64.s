#include "textflag.h"

// Both kernels compute 16 consecutive rows of a row-major matrix, one row
// per lane of a ZMM accumulator, so every row's sum is one sequential sum
// in run.c's order (lanes across rows, never within a sum).
//
// Row addressing, for a 16-row block of stride s bytes: R8 points at row
// 0's current column, R13 at row 8's; R9 = s, R10 = 3s, R11 = 5s, R12 =
// 7s, so rows 0..7 are (R8), (R8)(R9*1), (R8)(R9*2), (R8)(R10*1),
// (R8)(R9*4), (R8)(R11*1), (R8)(R10*2), (R8)(R12*1), and rows 8..15 the
// same from R13.

#define STRIDES(s) \
	LEAQ (s)(s*2), R10 \
	LEAQ (s)(s*4), R11 \
	LEAQ (R10)(s*4), R12 \
	LEAQ (R8)(s*8), R13

// ---------------------------------------------------------------- fp32

// TRANS4 takes the products of four consecutive rows (a, b, c, d) in
// Z16..Z19 and leaves in u0..u3 the first two steps of a 16×16 transpose:
// in every 128-bit chunk k, u_m holds (a, b, c, d) at column 4k+m.
#define TRANS4(u0, u1, u2, u3) \
	VUNPCKLPS Z17, Z16, Z20 \
	VUNPCKHPS Z17, Z16, Z21 \
	VUNPCKLPS Z19, Z18, Z22 \
	VUNPCKHPS Z19, Z18, Z23 \
	VUNPCKLPD Z22, Z20, u0 \
	VUNPCKHPD Z22, Z20, u1 \
	VUNPCKLPD Z23, Z21, u2 \
	VUNPCKHPD Z23, Z21, u3

// MUL4 multiplies four rows' 16 floats at the given addresses by x (Z30)
// into Z16..Z19: one rounding each, as run.c's w[i][j] * x[j].
#define MUL4(a0, a1, a2, a3) \
	VMULPS a0, Z30, Z16 \
	VMULPS a1, Z30, Z17 \
	VMULPS a2, Z30, Z18 \
	VMULPS a3, Z30, Z19

// MUL4M is MUL4 for the last, partial block: the columns outside K1 are
// loaded as +0 (and x is +0 there), so their products are +0.
#define MUL4M(a0, a1, a2, a3) \
	VMOVUPS.Z a0, K1, Z16 \
	VMOVUPS.Z a1, K1, Z17 \
	VMOVUPS.Z a2, K1, Z18 \
	VMOVUPS.Z a3, K1, Z19 \
	VMULPS Z16, Z30, Z16 \
	VMULPS Z17, Z30, Z17 \
	VMULPS Z18, Z30, Z18 \
	VMULPS Z19, Z30, Z19

// COLS finishes the transpose for one m: from u_m, u_{4+m}, u_{8+m},
// u_{12+m} (rows 0-3, 4-7, 8-11, 12-15) it leaves column m in c0, 4+m
// in c4, 8+m in c8 and 12+m in c12, lane r holding row r's product.
#define COLS(c0, c4, c8, c12) \
	VSHUFF32X4 $0x88, c4, c0, Z16 \
	VSHUFF32X4 $0xDD, c4, c0, Z17 \
	VSHUFF32X4 $0x88, c12, c8, Z18 \
	VSHUFF32X4 $0xDD, c12, c8, Z19 \
	VSHUFF32X4 $0x88, Z18, Z16, c0 \
	VSHUFF32X4 $0xDD, Z18, Z16, c8 \
	VSHUFF32X4 $0x88, Z19, Z17, c4 \
	VSHUFF32X4 $0xDD, Z19, Z17, c12

// ADD16 adds the 16 transposed columns Z0..Z15 into the accumulator Z31
// in column order: each lane's sum stays run.c's sequential sum.
#define ADD16 \
	VADDPS Z0, Z31, Z31 \
	VADDPS Z1, Z31, Z31 \
	VADDPS Z2, Z31, Z31 \
	VADDPS Z3, Z31, Z31 \
	VADDPS Z4, Z31, Z31 \
	VADDPS Z5, Z31, Z31 \
	VADDPS Z6, Z31, Z31 \
	VADDPS Z7, Z31, Z31 \
	VADDPS Z8, Z31, Z31 \
	VADDPS Z9, Z31, Z31 \
	VADDPS Z10, Z31, Z31 \
	VADDPS Z11, Z31, Z31 \
	VADDPS Z12, Z31, Z31 \
	VADDPS Z13, Z31, Z31 \
	VADDPS Z14, Z31, Z31 \
	VADDPS Z15, Z31, Z31

#define TRANSPOSE_ADD \
	COLS(Z0, Z4, Z8, Z12) \
	COLS(Z1, Z5, Z9, Z13) \
	COLS(Z2, Z6, Z10, Z14) \
	COLS(Z3, Z7, Z11, Z15) \
	ADD16

// ---------------------------------------------------------------- Q8_0
//
// Registers: Z0..Z15 the 16 rows' int32 accumulators, Z30 64 bytes of
// the quantized x, Z28 0x80 in every byte, Z29 the scales' gather
// offsets (r·groups), Z31 the rows' float32 sums. SI walks x, DX the
// block's row-0 scales, DI x's scales, BX the corrections, CX counts
// groups.
//
// VPDPBUSD multiplies unsigned bytes by signed bytes, so it is given
// w+128 (w XOR 0x80, in 0..255: exact for every int8 w, -128 included)
// and x as it is (any int8, -128 included), which sums
// Σ(w+128)·x = Σw·x + 128·Σx over a group; the caller passes
// corr[g] = 128·Σx over group g, subtracted once per group. Every step is
// an exact int32 operation (|Σ| < 2^31 for any group size that fits a
// row), so the group's sum is exactly runq.c's.

// ROW adds the products of one row's 64 bytes at addr with x to acc.
#define ROW(addr, acc) \
	VPXORD addr, Z28, Z16 \
	VPDPBUSD Z30, Z16, acc

// ROWY is ROW for 32 bytes (the upper half of Z16 is zeroed).
#define ROWY(addr, acc) \
	VPXORD addr, Y28, Y16 \
	VPDPBUSD Z30, Z16, acc

#define ROWS16(M) \
	M((R8), Z0) \
	M((R8)(R9*1), Z1) \
	M((R8)(R9*2), Z2) \
	M((R8)(R10*1), Z3) \
	M((R8)(R9*4), Z4) \
	M((R8)(R11*1), Z5) \
	M((R8)(R10*2), Z6) \
	M((R8)(R12*1), Z7) \
	M((R13), Z8) \
	M((R13)(R9*1), Z9) \
	M((R13)(R9*2), Z10) \
	M((R13)(R10*1), Z11) \
	M((R13)(R9*4), Z12) \
	M((R13)(R11*1), Z13) \
	M((R13)(R10*2), Z14) \
	M((R13)(R12*1), Z15)

#define ZERO16 \
	VPXORD Z0, Z0, Z0 \
	VPXORD Z1, Z1, Z1 \
	VPXORD Z2, Z2, Z2 \
	VPXORD Z3, Z3, Z3 \
	VPXORD Z4, Z4, Z4 \
	VPXORD Z5, Z5, Z5 \
	VPXORD Z6, Z6, Z6 \
	VPXORD Z7, Z7, Z7 \
	VPXORD Z8, Z8, Z8 \
	VPXORD Z9, Z9, Z9 \
	VPXORD Z10, Z10, Z10 \
	VPXORD Z11, Z11, Z11 \
	VPXORD Z12, Z12, Z12 \
	VPXORD Z13, Z13, Z13 \
	VPXORD Z14, Z14, Z14 \
	VPXORD Z15, Z15, Z15

// PAIR1, PAIR2: the first two steps of summing 16 accumulators across
// lanes (exact integer adds, so their order is free).
#define PAIR1(a, b) \
	VPUNPCKLDQ b, a, Z16 \
	VPUNPCKHDQ b, a, Z17 \
	VPADDD Z17, Z16, a

#define PAIR2(a, b) \
	VPUNPCKLQDQ b, a, Z16 \
	VPUNPCKHQDQ b, a, Z17 \
	VPADDD Z17, Z16, a

#define PAIR3(a, b) \
	VSHUFI32X4 $0x88, b, a, Z16 \
	VSHUFI32X4 $0xDD, b, a, Z17 \
	VPADDD Z17, Z16, a

// REDUCE3 leaves in Z0 (rows 0-7) and Z8 (rows 8-15), per 128-bit chunk,
// [rows 4i..4i+3: sum of the lanes of chunks 0+1 | of chunks 2+3], i.e.
// Z0 = [r0-3 c01, r0-3 c23, r4-7 c01, r4-7 c23], Z8 likewise for 8-15.
#define REDUCE3 \
	PAIR1(Z0, Z1) \
	PAIR1(Z2, Z3) \
	PAIR1(Z4, Z5) \
	PAIR1(Z6, Z7) \
	PAIR1(Z8, Z9) \
	PAIR1(Z10, Z11) \
	PAIR1(Z12, Z13) \
	PAIR1(Z14, Z15) \
	PAIR2(Z0, Z2) \
	PAIR2(Z4, Z6) \
	PAIR2(Z8, Z10) \
	PAIR2(Z12, Z14) \
	PAIR3(Z0, Z4) \
	PAIR3(Z8, Z12)

// SCALE adds one group's result to the rows' float32 sums, runq.c's
// val += (float32(ival)·ws)·xs: ival = the int32 sums in s minus the
// correction at corr (broadcast), the 16 rows' scales gathered from
// scales (row r at scales + 4·r·groups), x's scale at xs.
#define SCALE(s, corr, scales, xs) \
	VPSUBD.BCST corr, s, s \
	VCVTDQ2PS s, s \
	KXNORW K2, K2, K2 \
	VGATHERDPS scales(Z29*4), K2, Z18 \
	VMULPS Z18, s, s \
	VMULPS.BCST xs, s, s \
	VADDPS s, Z31, Z31

#define Q8SETUP \
	MOVQ w+0(FP), R8 \
	MOVQ n+8(FP), R9 \
	MOVQ scales+16(FP), DX \
	MOVQ gidx+24(FP), AX \
	MOVQ xq+32(FP), SI \
	MOVQ xs+40(FP), DI \
	MOVQ corr+48(FP), BX \
	MOVQ groups+56(FP), CX \
	STRIDES(R9) \
	VMOVDQU32 (AX), Z29 \
	MOVL $0x80808080, AX \
	VPBROADCASTD AX, Z28 \
	VPXORD Z31, Z31, Z31

// ---------------------------------------------------------------- functions

// func f32x16(w, x, out *float32, n int)
//
// out[r] = Σ_j w[r·n+j]·x[j] for the 16 rows r = 0..15, j = 0..n-1 in
// order, each product rounded, then added (VMULPS then VADDPS, never a
// fused multiply-add), from +0: bit for bit the scalar reference's loop.
// Per block of 16 columns it multiplies the 16 rows by x, transposes the
// 16×16 products in registers and adds the columns in order. The last
// n mod 16 columns go through masked loads (no read past a row's end);
// the masked columns add +0, which leaves any sum that started at +0
// unchanged (such a sum is never -0).
TEXT ·f32x16(SB), NOSPLIT, $0-32
	MOVQ w+0(FP), R8
	MOVQ x+8(FP), SI
	MOVQ out+16(FP), DI
	MOVQ n+24(FP), CX
	MOVQ CX, R9
	SHLQ $2, R9
	STRIDES(R9)
	VPXORD Z31, Z31, Z31
	MOVQ CX, DX
	SHRQ $4, DX
	JZ   f32tail

f32loop:
	VMOVUPS (SI), Z30
	MUL4((R8), (R8)(R9*1), (R8)(R9*2), (R8)(R10*1))
	TRANS4(Z0, Z1, Z2, Z3)
	MUL4((R8)(R9*4), (R8)(R11*1), (R8)(R10*2), (R8)(R12*1))
	TRANS4(Z4, Z5, Z6, Z7)
	MUL4((R13), (R13)(R9*1), (R13)(R9*2), (R13)(R10*1))
	TRANS4(Z8, Z9, Z10, Z11)
	MUL4((R13)(R9*4), (R13)(R11*1), (R13)(R10*2), (R13)(R12*1))
	TRANS4(Z12, Z13, Z14, Z15)
	TRANSPOSE_ADD
	ADDQ $64, R8
	ADDQ $64, R13
	ADDQ $64, SI
	DECQ DX
	JNZ  f32loop

f32tail:
	ANDQ $15, CX
	JZ   f32done
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1
	VMOVUPS.Z (SI), K1, Z30
	MUL4M((R8), (R8)(R9*1), (R8)(R9*2), (R8)(R10*1))
	TRANS4(Z0, Z1, Z2, Z3)
	MUL4M((R8)(R9*4), (R8)(R11*1), (R8)(R10*2), (R8)(R12*1))
	TRANS4(Z4, Z5, Z6, Z7)
	MUL4M((R13), (R13)(R9*1), (R13)(R9*2), (R13)(R10*1))
	TRANS4(Z8, Z9, Z10, Z11)
	MUL4M((R13)(R9*4), (R13)(R11*1), (R13)(R10*2), (R13)(R12*1))
	TRANS4(Z12, Z13, Z14, Z15)
	TRANSPOSE_ADD

f32done:
	VMOVUPS Z31, (DI)
	VZEROUPPER
	RET

// func q8x16g64(w *int8, n int, scales *float32, gidx *[16]int32, xq *int8, xs *float32, corr *int32, groups, gs int, out *float32)
//
// 16 rows of a Q8_0 matmul whose group size gs is a multiple of 64: per
// group, each row's exact int32 dot product with xq (64 bytes per step),
// the 16 sums gathered into one vector, then SCALE, group after group.
// w is row 0 of the block (rows n bytes apart), scales row 0's scales.
TEXT ·q8x16g64(SB), NOSPLIT, $0-80
	Q8SETUP

g64group:
	ZERO16
	MOVQ gs+64(FP), AX

g64chunk:
	VMOVDQU32 (SI), Z30
	ROWS16(ROW)
	ADDQ $64, R8
	ADDQ $64, R13
	ADDQ $64, SI
	SUBQ $64, AX
	JNZ  g64chunk

	REDUCE3
	VSHUFI32X4 $0x88, Z8, Z0, Z16
	VSHUFI32X4 $0xDD, Z8, Z0, Z17
	VPADDD Z17, Z16, Z0
	SCALE(Z0, (BX), (DX), (DI))
	ADDQ $4, BX
	ADDQ $4, DX
	ADDQ $4, DI
	DECQ CX
	JNZ  g64group

	MOVQ out+72(FP), AX
	VMOVUPS Z31, (AX)
	VZEROUPPER
	RET

// func q8x16g32(w *int8, n int, scales *float32, gidx *[16]int32, xq *int8, xs *float32, corr *int32, groups, gs int, out *float32)
//
// q8x16g64 for a group size of 32: two groups per 64-byte step (lanes
// 0-7 hold the first's partial sums, 8-15 the second's), so the last
// reduction step separates them instead of adding; an odd last group
// takes 32 bytes.
TEXT ·q8x16g32(SB), NOSPLIT, $0-80
	Q8SETUP
	CMPQ CX, $2
	JLT  g32odd

g32pair:
	ZERO16
	VMOVDQU32 (SI), Z30
	ROWS16(ROW)
	REDUCE3
	VSHUFI32X4 $0x88, Z8, Z0, Z1
	VSHUFI32X4 $0xDD, Z8, Z0, Z2
	SCALE(Z1, (BX), (DX), (DI))
	SCALE(Z2, 4(BX), 4(DX), 4(DI))
	ADDQ $64, R8
	ADDQ $64, R13
	ADDQ $64, SI
	ADDQ $8, BX
	ADDQ $8, DX
	ADDQ $8, DI
	SUBQ $2, CX
	CMPQ CX, $2
	JGE  g32pair

g32odd:
	TESTQ CX, CX
	JZ    g32done
	ZERO16
	VMOVDQU32 (SI), Y30
	ROWS16(ROWY)
	REDUCE3
	VSHUFI32X4 $0x88, Z8, Z0, Z1
	SCALE(Z1, (BX), (DX), (DI))

g32done:
	MOVQ out+72(FP), AX
	VMOVUPS Z31, (AX)
	VZEROUPPER
	RET

// func quantize16(xq *int8, xs *float32, corr *int32, x *float32, groups, gs int) (nan bool)
//
// The reference's quantization of x (scalar.Quantize, runq.c's
// quantize), gs a multiple of 16: per group, scale = max|x| / 127 (an
// exact maximum, then the one rounded division), q = x/scale (one
// rounded division) rounded half away from zero: t = trunc(q), and
// t ± 1 where |q - t| ≥ 0.5 (q - t is exact). That is math.Round of the
// reference for every finite q. It also stores corr[g] = 128·Σq over the
// group (exact int32) for the Q8_0 kernels. Bit-identical to the
// reference whenever x holds no NaN (reported) and every scale is a
// normal float32 (the caller checks): then |q| ≤ 127 and the int8
// truncation (VPMOVDB) keeps it.
TEXT ·quantize16(SB), NOSPLIT, $0-49
	MOVQ xq+0(FP), DI
	MOVQ xs+8(FP), DX
	MOVQ corr+16(FP), BX
	MOVQ x+24(FP), SI
	MOVQ groups+32(FP), CX
	MOVQ gs+40(FP), R8
	MOVL $0x7fffffff, AX
	VPBROADCASTD AX, Z20 // |.| mask
	MOVL $0x3f000000, AX
	VPBROADCASTD AX, Z21 // 0.5
	MOVL $0x3f800000, AX
	VPBROADCASTD AX, Z22 // 1.0
	MOVL $0x80000000, AX
	VPBROADCASTD AX, Z23 // sign bit
	MOVL $0x42fe0000, AX
	VPBROADCASTD AX, Z24 // 127.0
	KXORW K4, K4, K4     // lanes that saw a NaN
	TESTQ CX, CX
	JZ    qdone

qgroup:
	VPXORD Z0, Z0, Z0
	MOVQ SI, R9
	MOVQ R8, AX

qmax:
	VMOVUPS (R9), Z1
	VCMPPS $3, Z1, Z1, K3
	KORW K3, K4, K4
	VPANDD Z20, Z1, Z1
	VMAXPS Z1, Z0, Z0
	ADDQ $64, R9
	SUBQ $16, AX
	JNZ  qmax

	// The maximum across lanes (exact, so in any order).
	VSHUFF32X4 $0x4E, Z0, Z0, Z1
	VMAXPS Z1, Z0, Z0
	VSHUFF32X4 $0xB1, Z0, Z0, Z1
	VMAXPS Z1, Z0, Z0
	VPERMILPS $0x4E, Z0, Z1
	VMAXPS Z1, Z0, Z0
	VPERMILPS $0xB1, Z0, Z1
	VMAXPS Z1, Z0, Z0
	VDIVSS X24, X0, X0
	VMOVSS X0, (DX)
	VBROADCASTSS X0, Z2
	VPXORD Z10, Z10, Z10
	MOVQ R8, AX

qround:
	VMOVUPS (SI), Z1
	VDIVPS Z2, Z1, Z1
	VRNDSCALEPS $0x0B, Z1, Z3
	VSUBPS Z3, Z1, Z4
	VPANDD Z20, Z4, Z4
	VCMPPS $0x0D, Z21, Z4, K1
	VPANDD Z23, Z1, Z5
	VPORD Z22, Z5, Z5
	VADDPS Z5, Z3, K1, Z3
	VCVTTPS2DQ Z3, Z3
	VPADDD Z3, Z10, Z10
	VPMOVDB Z3, (DI)
	ADDQ $64, SI
	ADDQ $16, DI
	SUBQ $16, AX
	JNZ  qround

	VSHUFI32X4 $0x4E, Z10, Z10, Z11
	VPADDD Z11, Z10, Z10
	VSHUFI32X4 $0xB1, Z10, Z10, Z11
	VPADDD Z11, Z10, Z10
	VPSHUFD $0x4E, Z10, Z11
	VPADDD Z11, Z10, Z10
	VPSHUFD $0xB1, Z10, Z11
	VPADDD Z11, Z10, Z10
	VMOVD X10, AX
	SHLL $7, AX
	MOVL AX, (BX)
	ADDQ $4, DX
	ADDQ $4, BX
	DECQ CX
	JNZ  qgroup

qdone:
	KMOVW K4, AX
	VZEROUPPER
	TESTL AX, AX
	SETNE nan+48(FP)
	RET
