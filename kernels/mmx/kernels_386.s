// Pentium II kernels of the mmx provider: x87 for every floating-point
// step, MMX for the integer dot products. See doc.go for the algorithm and
// why its results are the scalar reference's bit for bit.
//
// Only instructions of the Pentium MMX / Pentium II are used: the integer
// 386 set, the x87 FPU and the original MMX set (no CMOV, no SSE-era MMX
// extensions); TestInstructionSet checks the assembled code. Go's
// assembler knows MOVQ between an MMX register and memory (it encodes the
// addressing), so loads and stores are written with it; every other MMX
// instruction is a BYTE sequence, register to register only (ModRM =
// 0xC0 | dst<<3 | src), with its mnemonic in the comment.
//
// Every function leaves the x87 stack empty, the MMX state cleared (EMMS
// after the last MMX instruction, before any x87 instruction) and the x87
// control word as it found it.

#include "textflag.h"

// x87 control words: all exceptions masked, round to nearest, and
// precision control extended (64-bit significand) or single (24-bit).
#define CW_EXTENDED $0x037F
#define CW_SINGLE $0x007F

// func quantize(q []int8, xs []float32, x []float32, gs int)
//
// scalar.Quantize in x87, precision control extended. Per group: max|x|
// as the integer maximum of the sign-cleared bits (NaNs skipped, as the
// float comparison does); xs[g] = wmax/127 stored as float32 (one
// rounding, see doc.go); r = 1/xs[g] kept in extended; then per value
// v = float32(x·r) by a store and reload, and q = the low byte of
// FISTP(v ± 2^-27) in round-to-nearest, which is v rounded half away from
// zero (and 0x80000000, low byte 0, for NaN, ±Inf and |v| ≥ 2^31).
//
// Locals: 0 saved control word, 2 our control word, 4 +2^-27, 8 -2^-27,
// 12 127.0, 16 float32 temporary, 20 int32 temporary, 24 wmax bits,
// 28 groups left.
TEXT ·quantize(SB), NOSPLIT, $32-40
	FSTCW	0(SP)
	MOVL	CW_EXTENDED, AX
	MOVW	AX, 2(SP)
	FLDCW	2(SP)
	MOVL	$0x32000000, 4(SP)	// +2^-27
	MOVL	$0xB2000000, 8(SP)	// -2^-27
	MOVL	$0x42FE0000, 12(SP)	// 127.0

	MOVL	x_len+28(FP), AX
	MOVL	gs+36(FP), CX
	XORL	DX, DX
	DIVL	CX	// AX = number of groups
	TESTL	AX, AX
	JEQ	qdone
	MOVL	AX, 28(SP)
	MOVL	x_base+24(FP), SI	// start of the group in x
	MOVL	q_base+0(FP), DI	// next q
	MOVL	xs_base+12(FP), BP	// next xs

qgroup:
	// DX = max over the group of the bits of |x|, NaNs skipped.
	MOVL	gs+36(FP), CX
	XORL	DX, DX
	MOVL	SI, BX
qmax:
	MOVL	(BX), AX
	ANDL	$0x7FFFFFFF, AX
	CMPL	AX, $0x7F800000
	JHI	qmaxnext	// NaN: a > wmax is false
	CMPL	AX, DX
	JLS	qmaxnext
	MOVL	AX, DX
qmaxnext:
	ADDL	$4, BX
	DECL	CX
	JNE	qmax

	// xs[g] = float32(wmax / 127); r = 1/xs[g] in extended.
	MOVL	DX, 24(SP)
	FMOVF	24(SP), F0
	FDIVF	12(SP), F0
	FMOVFP	F0, (BP)
	FLD1
	FDIVF	(BP), F0	// F0 = r

	MOVL	gs+36(FP), CX
	MOVL	SI, BX
qelem:
	MOVL	(BX), AX
	SHRL	$31, AX	// the sign of x, which is the sign of x·r
	FMOVF	(BX), F0	// F0 = x, F1 = r
	FMULD	F1, F0	// F0 = x·r
	FMOVFP	F0, 16(SP)	// v = float32(x·r)
	FMOVF	16(SP), F0
	FADDF	4(SP)(AX*4), F0	// v ± 2^-27, exact
	FMOVLP	F0, 20(SP)	// round to nearest integer
	MOVL	20(SP), AX
	MOVB	AX, (DI)	// its low byte, as (int8_t)(int32_t)
	ADDL	$4, BX
	INCL	DI
	DECL	CX
	JNE	qelem

	FMOVDP	F0, F0	// pop r
	MOVL	BX, SI
	ADDL	$4, BP
	DECL	28(SP)
	JNE	qgroup

qdone:
	FLDCW	0(SP)
	RET

// func widen(x16 []int16, q []int8)
//
// Sign-extends q to int16, eight values at a time, even-indexed values
// first: x16[8c+j] = q[8c+2j] and x16[8c+4+j] = q[8c+2j+1] for j < 4,
// the order matQ8 multiplies them in. len(q) must be a multiple of 8.
TEXT ·widen(SB), NOSPLIT, $0-24
	MOVL	q_base+12(FP), SI
	MOVL	x16_base+0(FP), DI
	MOVL	q_len+16(FP), CX
	SHRL	$3, CX
	JEQ	wdone
wloop:
	MOVQ	(SI), M0
	BYTE $0x0F; BYTE $0x6F; BYTE $0xC8	// MOVQ    MM1, MM0
	BYTE $0x0F; BYTE $0x71; BYTE $0xF0; BYTE $0x08	// PSLLW   MM0, 8: even values to the high bytes
	BYTE $0x0F; BYTE $0x71; BYTE $0xE0; BYTE $0x08	// PSRAW   MM0, 8: even values sign-extended
	BYTE $0x0F; BYTE $0x71; BYTE $0xE1; BYTE $0x08	// PSRAW   MM1, 8: odd values sign-extended
	MOVQ	M0, (DI)
	MOVQ	M1, 8(DI)
	ADDL	$8, SI
	ADDL	$16, DI
	DECL	CX
	JNE	wloop
	BYTE $0x0F; BYTE $0x77	// EMMS
wdone:
	RET

// One row's multiply-adds for one chunk of eight weights at (R)(AX*1),
// whose x values are in MM1 (even-indexed) and MM2 (odd-indexed) as
// int16; MM0 holds 0xFF00 in every word. The weights are loaded twice
// into MM7: masked, each word is 256·(odd weight); shifted left by 8,
// 256·(even weight); PMADDWD with the matching x and PADDD into the
// row's accumulator (two int32 lanes, 256·the sums of elements 0-3 and
// 4-7 of the chunk). PADDD's ModRM is 0xC7 | acc<<3.
#define ROWCHUNK(R, PADDD_MODRM) \
	MOVQ	(R)(AX*1), M7; \
	BYTE $0x0F; BYTE $0xDB; BYTE $0xF8; \
	BYTE $0x0F; BYTE $0xF5; BYTE $0xFA; \
	BYTE $0x0F; BYTE $0xFE; BYTE PADDD_MODRM; \
	MOVQ	(R)(AX*1), M7; \
	BYTE $0x0F; BYTE $0x71; BYTE $0xF7; BYTE $0x08; \
	BYTE $0x0F; BYTE $0xF5; BYTE $0xF9; \
	BYTE $0x0F; BYTE $0xFE; BYTE PADDD_MODRM
// (PAND MM7, MM0; PMADDWD MM7, MM2; PADDD acc, MM7;
//  PSLLW MM7, 8; PMADDWD MM7, MM1; PADDD acc, MM7)

// Zero the four accumulators MM3-MM6.
#define ZEROACC \
	BYTE $0x0F; BYTE $0xEF; BYTE $0xDB; \
	BYTE $0x0F; BYTE $0xEF; BYTE $0xE4; \
	BYTE $0x0F; BYTE $0xEF; BYTE $0xED; \
	BYTE $0x0F; BYTE $0xEF; BYTE $0xF6
// (PXOR MM3, MM3; PXOR MM4, MM4; PXOR MM5, MM5; PXOR MM6, MM6)

// func matQ8(out []float32, w []int8, ws []float32, x16 []int16, xs []float32, ivals []int32,
//	rows, n, ng, wgs, p, nlg int, split, fast bool)
//
// Rows 0..rows-1 of a Q8_0 matmul, four at a time (a last block of
// R < 4 rows repeats its last row). Per block:
//
// MMX: for each of nlg layout groups (wgs weight bytes of a row, p
// widened x values, p a multiple of 8), the int32 dot products of the
// four rows with x, into ivals[4s+r] for sub-group s and row r: one per
// layout group, or, when split, one per lane (two 4-value groups per
// layout group). Then EMMS.
//
// x87, only when fast (precision control single): out[i] = Σ_g
// float32(float32(float32(ival)·ws)·xs[g]) in group order, the four rows'
// sums on the x87 stack. Without fast, matQ8 stops after the MMX part of
// the first block and the caller does the scaling (rows ≤ 4).
//
// Locals: 0 saved control word, 2 our control word, 4 and 8 the mask
// 0xFF00FF00, 12 first row of the block, 16 ivals cursor, 20 layout
// groups left, 24 rows in the block (≤ 4), 28 -p, 32 2p, 36 ivals bytes
// per layout group.
TEXT ·matQ8(SB), NOSPLIT, $40-98
	FSTCW	0(SP)
	MOVL	CW_SINGLE, AX
	MOVW	AX, 2(SP)
	FLDCW	2(SP)
	MOVL	$0xFF00FF00, 4(SP)
	MOVL	$0xFF00FF00, 8(SP)
	MOVL	p+88(FP), AX
	MOVL	AX, CX
	NEGL	CX
	MOVL	CX, 28(SP)
	SHLL	$1, AX
	MOVL	AX, 32(SP)
	MOVL	$16, 36(SP)
	MOVBLZX	split+96(FP), AX
	TESTL	AX, AX
	JEQ	mnosplit
	MOVL	$32, 36(SP)
mnosplit:
	MOVL	$0, 12(SP)
	MOVL	rows+72(FP), AX
	TESTL	AX, AX
	JEQ	mdone

mblock:
	// R = min(4, rows - i)
	MOVL	rows+72(FP), AX
	SUBL	12(SP), AX
	CMPL	AX, $4
	JLE	mrset
	MOVL	$4, AX
mrset:
	MOVL	AX, 24(SP)

	MOVL	nlg+92(FP), AX
	TESTL	AX, AX
	JEQ	mmmxdone
	MOVL	AX, 20(SP)
	MOVL	ivals_base+60(FP), AX
	MOVL	AX, 16(SP)

	// Row pointers SI, BX, DX, BP: rows i..i+3, the last one repeated,
	// each advanced by p so that AX runs from -p to 0.
	MOVL	12(SP), AX
	IMULL	n+76(FP), AX
	MOVL	w_base+12(FP), SI
	ADDL	AX, SI
	MOVL	n+76(FP), CX
	MOVL	SI, BX
	CMPL	24(SP), $1
	JLE	mw1
	ADDL	CX, BX
mw1:
	MOVL	BX, DX
	CMPL	24(SP), $2
	JLE	mw2
	ADDL	CX, DX
mw2:
	MOVL	DX, BP
	CMPL	24(SP), $3
	JLE	mw3
	ADDL	CX, BP
mw3:
	MOVL	p+88(FP), CX
	ADDL	CX, SI
	ADDL	CX, BX
	ADDL	CX, DX
	ADDL	CX, BP
	MOVL	x16_base+36(FP), DI
	ADDL	32(SP), DI

	MOVQ	4(SP), M0
	ZEROACC

mgroup:
	MOVL	28(SP), AX
mchunk:
	MOVQ	(DI)(AX*2), M1	// x values 0, 2, 4, 6 of the chunk
	MOVQ	8(DI)(AX*2), M2	// x values 1, 3, 5, 7
	ROWCHUNK(SI, $0xDF)	// accumulator MM3
	ROWCHUNK(BX, $0xE7)	// MM4
	ROWCHUNK(DX, $0xEF)	// MM5
	ROWCHUNK(BP, $0xF7)	// MM6
	ADDL	$8, AX
	JNE	mchunk

	// Lanes to int32 sums: drop the factor 256 (exact), then transpose
	// the rows' lanes so that one MOVQ stores the same lane of two rows.
	BYTE $0x0F; BYTE $0x72; BYTE $0xE3; BYTE $0x08	// PSRAD     MM3, 8
	BYTE $0x0F; BYTE $0x72; BYTE $0xE4; BYTE $0x08	// PSRAD     MM4, 8
	BYTE $0x0F; BYTE $0x72; BYTE $0xE5; BYTE $0x08	// PSRAD     MM5, 8
	BYTE $0x0F; BYTE $0x72; BYTE $0xE6; BYTE $0x08	// PSRAD     MM6, 8
	BYTE $0x0F; BYTE $0x6F; BYTE $0xFB	// MOVQ      MM7, MM3
	BYTE $0x0F; BYTE $0x62; BYTE $0xFC	// PUNPCKLDQ MM7, MM4: lane 0 of rows 0, 1
	BYTE $0x0F; BYTE $0x6A; BYTE $0xDC	// PUNPCKHDQ MM3, MM4: lane 1 of rows 0, 1
	BYTE $0x0F; BYTE $0x6F; BYTE $0xE5	// MOVQ      MM4, MM5
	BYTE $0x0F; BYTE $0x62; BYTE $0xE6	// PUNPCKLDQ MM4, MM6: lane 0 of rows 2, 3
	BYTE $0x0F; BYTE $0x6A; BYTE $0xEE	// PUNPCKHDQ MM5, MM6: lane 1 of rows 2, 3
	MOVL	16(SP), AX
	MOVBLZX	split+96(FP), CX
	TESTL	CX, CX
	JNE	msplit
	BYTE $0x0F; BYTE $0xFE; BYTE $0xFB	// PADDD     MM7, MM3: rows 0, 1
	BYTE $0x0F; BYTE $0xFE; BYTE $0xE5	// PADDD     MM4, MM5: rows 2, 3
	MOVQ	M7, (AX)
	MOVQ	M4, 8(AX)
	JMP	mstored
msplit:
	MOVQ	M7, (AX)	// sub-group 2c
	MOVQ	M4, 8(AX)
	MOVQ	M3, 16(AX)	// sub-group 2c+1
	MOVQ	M5, 24(AX)
mstored:
	ADDL	36(SP), AX
	MOVL	AX, 16(SP)
	ZEROACC
	MOVL	wgs+84(FP), AX
	ADDL	AX, SI
	ADDL	AX, BX
	ADDL	AX, DX
	ADDL	AX, BP
	ADDL	32(SP), DI
	DECL	20(SP)
	JNE	mgroup
	BYTE $0x0F; BYTE $0x77	// EMMS

mmmxdone:
	MOVBLZX	fast+97(FP), AX
	TESTL	AX, AX
	JEQ	mdone	// the caller scales this block

	// ws row pointers SI, BX, DX, BP, as the weight rows.
	MOVL	ng+80(FP), CX
	SHLL	$2, CX
	MOVL	12(SP), AX
	IMULL	CX, AX
	MOVL	ws_base+24(FP), SI
	ADDL	AX, SI
	MOVL	SI, BX
	CMPL	24(SP), $1
	JLE	ms1
	ADDL	CX, BX
ms1:
	MOVL	BX, DX
	CMPL	24(SP), $2
	JLE	ms2
	ADDL	CX, DX
ms2:
	MOVL	DX, BP
	CMPL	24(SP), $3
	JLE	ms3
	ADDL	CX, BP
ms3:
	MOVL	xs_base+48(FP), CX
	MOVL	ivals_base+60(FP), DI
	XORL	AX, AX
	FLDZ	// F3 = row 3's sum
	FLDZ	// F2 = row 2's
	FLDZ	// F1 = row 1's
	FLDZ	// F0 = row 0's
	CMPL	AX, ng+80(FP)
	JGE	mstore
mscale:
	FMOVL	0(DI), F0	// row 0's ival, exact
	FMULF	(SI)(AX*4), F0	// · ws, rounded to float32
	FMULF	(CX)(AX*4), F0	// · xs[g], rounded to float32
	FADDDP	F0, F1	// added to the row's sum, rounded to float32
	FMOVL	4(DI), F0
	FMULF	(BX)(AX*4), F0
	FMULF	(CX)(AX*4), F0
	FADDDP	F0, F2
	FMOVL	8(DI), F0
	FMULF	(DX)(AX*4), F0
	FMULF	(CX)(AX*4), F0
	FADDDP	F0, F3
	FMOVL	12(DI), F0
	FMULF	(BP)(AX*4), F0
	FMULF	(CX)(AX*4), F0
	FADDDP	F0, F4
	ADDL	$16, DI
	INCL	AX
	CMPL	AX, ng+80(FP)
	JLT	mscale

mstore:
	// out[i+min(r, R-1)] = sum r: a repeated row stores its value again.
	MOVL	12(SP), AX
	MOVL	out_base+0(FP), DI
	LEAL	(DI)(AX*4), DI
	FMOVFP	F0, (DI)
	CMPL	24(SP), $1
	JLE	mo1
	ADDL	$4, DI
mo1:
	FMOVFP	F0, (DI)
	CMPL	24(SP), $2
	JLE	mo2
	ADDL	$4, DI
mo2:
	FMOVFP	F0, (DI)
	CMPL	24(SP), $3
	JLE	mo3
	ADDL	$4, DI
mo3:
	FMOVFP	F0, (DI)

	ADDL	$4, 12(SP)
	MOVL	12(SP), AX
	CMPL	AX, rows+72(FP)
	JLT	mblock

mdone:
	FLDCW	0(SP)
	RET

// func fpuEnv() (cw, sw, tw uint16)
//
// The x87 control, status and tag words, for tests that check the
// kernels leave the FPU as they found it. FNSTENV masks all exceptions,
// so the control word is loaded back.
TEXT ·fpuEnv(SB), NOSPLIT, $28-6
	FSTENV	0(SP)
	FLDCW	0(SP)
	MOVW	0(SP), AX
	MOVW	AX, cw+0(FP)
	MOVW	4(SP), AX
	MOVW	AX, sw+2(FP)
	MOVW	8(SP), AX
	MOVW	AX, tw+4(FP)
	RET

// func setFPUControl(cw uint16)
TEXT ·setFPUControl(SB), NOSPLIT, $0-2
	FLDCW	cw+0(FP)
	RET
