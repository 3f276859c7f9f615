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

// The chunk loop's operands: AX runs from -p to 0 in steps of 8; a row's
// eight weights are at (R)(AX*1); the chunk's x values (int16) at
// (DI)(AX*2), even-indexed, and 8(DI)(AX*2), odd-indexed. PMADDWD takes
// them straight from memory, which leaves MM1-MM5 for five rows' sums
// (MM0 holds 0xFF00 in every word, MM7 is scratch). Accumulator k's
// ModRMs: PADDD acc, MM7 = 0xC7|k<<3; PAND acc, MM0 = 0xC0|k<<3;
// PMADDWD acc, 8(DI)(AX*2) = 0x44|k<<3, SIB 0x47, disp8 8.
//
// ROWCHUNK: the weights loaded twice into MM7: masked, each word is
// 256·(odd weight); shifted left by 8, 256·(even weight); PMADDWD with
// the matching x and PADDD into the row's accumulator (two int32 lanes,
// 256·the sums of elements 0-3 and 4-7 of the chunk).
#define ROWCHUNK(R, PADDD_MODRM) \
	MOVQ	(R)(AX*1), M7; \
	BYTE $0x0F; BYTE $0xDB; BYTE $0xF8; \
	BYTE $0x0F; BYTE $0xF5; BYTE $0x7C; BYTE $0x47; BYTE $0x08; \
	BYTE $0x0F; BYTE $0xFE; BYTE PADDD_MODRM; \
	MOVQ	(R)(AX*1), M7; \
	BYTE $0x0F; BYTE $0x71; BYTE $0xF7; BYTE $0x08; \
	BYTE $0x0F; BYTE $0xF5; BYTE $0x3C; BYTE $0x47; \
	BYTE $0x0F; BYTE $0xFE; BYTE PADDD_MODRM
// (PAND MM7, MM0; PMADDWD MM7, 8(DI)(AX*2); PADDD acc, MM7;
//  PSLLW MM7, 8; PMADDWD MM7, (DI)(AX*2); PADDD acc, MM7)

// ROWFIRST: a group's first chunk, which sets the accumulator instead
// of adding to it (no zeroing).
#define ROWFIRST(R, ACC, PAND_MODRM, PMADD_MODRM, PADDD_MODRM) \
	MOVQ	(R)(AX*1), ACC; \
	BYTE $0x0F; BYTE $0xDB; BYTE PAND_MODRM; \
	BYTE $0x0F; BYTE $0xF5; BYTE PMADD_MODRM; BYTE $0x47; BYTE $0x08; \
	MOVQ	(R)(AX*1), M7; \
	BYTE $0x0F; BYTE $0x71; BYTE $0xF7; BYTE $0x08; \
	BYTE $0x0F; BYTE $0xF5; BYTE $0x3C; BYTE $0x47; \
	BYTE $0x0F; BYTE $0xFE; BYTE PADDD_MODRM
// (PAND acc, MM0; PMADDWD acc, 8(DI)(AX*2);
//  PSLLW MM7, 8; PMADDWD MM7, (DI)(AX*2); PADDD acc, MM7)

// func matQ8(out []float32, w []int8, ws []float32, x16 []int16, xs []float32, ivals []int32,
//	rows, n, ng, wgs, p, nlg int, split, fast, pos bool)
//
// Rows 0..rows-1 of a Q8_0 matmul; see matQ8Go for the layout of ivals.
//
// MMX, five rows at a time (a last block of R < 5 rows repeats its last
// row): for each of nlg layout groups (wgs weight bytes of a row, p
// widened x values, p a multiple of 8), the int32 dot products of the
// five rows with x, stored as ivals[25b+5s+r]-style runs of five per
// sub-group s of block b (one sub-group per layout group, or with split
// two, one per lane); a pair store writes a sixth value, overwritten by
// the next run (ivals has room for one more at the end). Then one EMMS.
//
// x87, only when fast (precision control single): out[i] = Σ_g
// float32(float32(float32(ival)·ws)·xs[g]) in group order. With one
// sub-group per row the ivals are out's order and the loop is one row
// per pass; with pos too (every ws > 0), 0 + v is v (v is never -0:
// ival = 0 gives +0, else xs ≠ 0 and the product is nonzero), so the
// sum is stored without the addition.
//
// Locals: 0 saved control word, 2 our control word, 4 and 8 the mask
// 0xFF00FF00, 12 rows left, 16 ivals cursor,
// 24 block's row 0 + p in w, 28 -p, 32 2p, 36 5n, 40 x16 + 2p,
// 44 split, 48 sub-groups per row (NS), 52 ivals bytes per block less
// 20, 56 4ng, 60 x16 + 2p·nlg (DI at the last layout group).
TEXT ·matQ8(SB), NOSPLIT, $64-99
	FSTCW	0(SP)
	MOVL	CW_SINGLE, AX
	MOVW	AX, 2(SP)
	FLDCW	2(SP)
	MOVL	rows+72(FP), AX
	TESTL	AX, AX
	JEQ	mdone
	MOVL	AX, 12(SP)
	MOVL	$0xFF00FF00, 4(SP)
	MOVL	$0xFF00FF00, 8(SP)
	MOVL	p+88(FP), AX
	MOVL	AX, CX
	NEGL	CX
	MOVL	CX, 28(SP)
	MOVL	w_base+12(FP), CX
	ADDL	AX, CX
	MOVL	CX, 24(SP)
	SHLL	$1, AX
	MOVL	AX, 32(SP)
	ADDL	x16_base+36(FP), AX
	MOVL	AX, 40(SP)
	MOVL	n+76(FP), AX
	LEAL	(AX)(AX*4), AX
	MOVL	AX, 36(SP)
	MOVL	nlg+92(FP), AX
	MOVBLZX	split+96(FP), CX
	MOVL	CX, 44(SP)
	SHLL	CX, AX
	MOVL	AX, 48(SP)	// NS = nlg, or 2·nlg with split
	MOVL	nlg+92(FP), CX
	IMULL	32(SP), CX
	ADDL	x16_base+36(FP), CX
	MOVL	CX, 60(SP)
	LEAL	(AX)(AX*4), AX
	SHLL	$2, AX
	SUBL	$20, AX
	MOVL	AX, 52(SP)
	MOVL	ivals_base+60(FP), AX
	MOVL	AX, 16(SP)
	MOVQ	4(SP), M0

mblock:
	// Row pointers SI, BX, DX, BP, CX: the block's five rows (the last
	// one repeated when fewer are left), each advanced by p so that AX
	// runs from -p to 0.
	MOVL	24(SP), SI
	MOVL	n+76(FP), AX
	CMPL	12(SP), $5
	JLT	mpart
	LEAL	(SI)(AX*1), BX
	LEAL	(BX)(AX*1), DX
	LEAL	(DX)(AX*1), BP
	LEAL	(BP)(AX*1), CX
mrows:
	MOVL	40(SP), DI

mgroup:
	MOVL	28(SP), AX
	ROWFIRST(SI, M1, $0xC8, $0x4C, $0xCF)
	ROWFIRST(BX, M2, $0xD0, $0x54, $0xD7)
	ROWFIRST(DX, M3, $0xD8, $0x5C, $0xDF)
	ROWFIRST(BP, M4, $0xE0, $0x64, $0xE7)
	ROWFIRST(CX, M5, $0xE8, $0x6C, $0xEF)
	ADDL	$8, AX
	JEQ	mgend
mchunk:
	ROWCHUNK(SI, $0xCF)	// accumulator MM1
	ROWCHUNK(BX, $0xD7)	// MM2
	ROWCHUNK(DX, $0xDF)	// MM3
	ROWCHUNK(BP, $0xE7)	// MM4
	ROWCHUNK(CX, $0xEF)	// MM5
	ADDL	$8, AX
	JNE	mchunk
mgend:
	// Lanes to int32 sums: drop the factor 256 (exact), then pair the
	// rows' lanes so that one MOVQ stores the same lane of two rows
	// (row 4 is paired with itself).
	BYTE $0x0F; BYTE $0x72; BYTE $0xE1; BYTE $0x08	// PSRAD     MM1, 8
	BYTE $0x0F; BYTE $0x72; BYTE $0xE2; BYTE $0x08	// PSRAD     MM2, 8
	BYTE $0x0F; BYTE $0x72; BYTE $0xE3; BYTE $0x08	// PSRAD     MM3, 8
	BYTE $0x0F; BYTE $0x72; BYTE $0xE4; BYTE $0x08	// PSRAD     MM4, 8
	BYTE $0x0F; BYTE $0x72; BYTE $0xE5; BYTE $0x08	// PSRAD     MM5, 8
	MOVL	16(SP), AX
	CMPL	44(SP), $0
	JNE	msplit
	BYTE $0x0F; BYTE $0x6F; BYTE $0xF9	// MOVQ      MM7, MM1
	BYTE $0x0F; BYTE $0x62; BYTE $0xFA	// PUNPCKLDQ MM7, MM2: lane 0 of rows 0, 1
	BYTE $0x0F; BYTE $0x6A; BYTE $0xCA	// PUNPCKHDQ MM1, MM2: lane 1 of rows 0, 1
	BYTE $0x0F; BYTE $0xFE; BYTE $0xF9	// PADDD     MM7, MM1
	MOVQ	M7, (AX)
	BYTE $0x0F; BYTE $0x6F; BYTE $0xFB	// MOVQ      MM7, MM3
	BYTE $0x0F; BYTE $0x62; BYTE $0xFC	// PUNPCKLDQ MM7, MM4: lane 0 of rows 2, 3
	BYTE $0x0F; BYTE $0x6A; BYTE $0xDC	// PUNPCKHDQ MM3, MM4: lane 1 of rows 2, 3
	BYTE $0x0F; BYTE $0xFE; BYTE $0xFB	// PADDD     MM7, MM3
	MOVQ	M7, 8(AX)
	BYTE $0x0F; BYTE $0x6F; BYTE $0xFD	// MOVQ      MM7, MM5
	BYTE $0x0F; BYTE $0x62; BYTE $0xFD	// PUNPCKLDQ MM7, MM5: lane 0 of row 4, twice
	BYTE $0x0F; BYTE $0x6A; BYTE $0xED	// PUNPCKHDQ MM5, MM5: lane 1 of row 4, twice
	BYTE $0x0F; BYTE $0xFE; BYTE $0xFD	// PADDD     MM7, MM5
	MOVQ	M7, 16(AX)
	ADDL	$20, AX
mstored:
	MOVL	AX, 16(SP)
	CMPL	DI, 60(SP)
	JEQ	mbdone
	MOVL	wgs+84(FP), AX
	ADDL	AX, SI
	ADDL	AX, BX
	ADDL	AX, DX
	ADDL	AX, BP
	ADDL	AX, CX
	ADDL	32(SP), DI
	JMP	mgroup
msplit:
	BYTE $0x0F; BYTE $0x6F; BYTE $0xF9	// MOVQ      MM7, MM1
	BYTE $0x0F; BYTE $0x62; BYTE $0xFA	// PUNPCKLDQ MM7, MM2
	BYTE $0x0F; BYTE $0x6A; BYTE $0xCA	// PUNPCKHDQ MM1, MM2
	MOVQ	M7, (AX)	// sub-group 2l, rows 0, 1
	BYTE $0x0F; BYTE $0x6F; BYTE $0xFB	// MOVQ      MM7, MM3
	BYTE $0x0F; BYTE $0x62; BYTE $0xFC	// PUNPCKLDQ MM7, MM4
	BYTE $0x0F; BYTE $0x6A; BYTE $0xDC	// PUNPCKHDQ MM3, MM4
	MOVQ	M7, 8(AX)	// rows 2, 3
	BYTE $0x0F; BYTE $0x6F; BYTE $0xFD	// MOVQ      MM7, MM5
	BYTE $0x0F; BYTE $0x62; BYTE $0xFD	// PUNPCKLDQ MM7, MM5
	BYTE $0x0F; BYTE $0x6A; BYTE $0xED	// PUNPCKHDQ MM5, MM5
	MOVQ	M7, 16(AX)	// row 4 (and a value the next store replaces)
	MOVQ	M1, 20(AX)	// sub-group 2l+1
	MOVQ	M3, 28(AX)
	MOVQ	M5, 36(AX)
	ADDL	$40, AX
	JMP	mstored
mpart:
	MOVL	SI, BX
	CMPL	12(SP), $1
	JLE	mp1
	ADDL	AX, BX
mp1:
	MOVL	BX, DX
	CMPL	12(SP), $2
	JLE	mp2
	ADDL	AX, DX
mp2:
	MOVL	DX, BP
	CMPL	12(SP), $3
	JLE	mp3
	ADDL	AX, BP
mp3:
	MOVL	BP, CX
	JMP	mrows
mbdone:
	MOVL	36(SP), AX
	ADDL	AX, 24(SP)
	SUBL	$5, 12(SP)
	JGT	mblock
	BYTE $0x0F; BYTE $0x77	// EMMS

	MOVBLZX	fast+97(FP), AX
	TESTL	AX, AX
	JEQ	mdone	// the caller scales

	MOVL	rows+72(FP), AX
	MOVL	ng+80(FP), DX
	SHLL	$2, DX
	MOVL	DX, 56(SP)
	MOVL	xs_base+48(FP), CX
	CMPL	48(SP), $1
	JNE	mgeneral

	// One sub-group per row: ivals, ws and out run in step.
	MOVL	ivals_base+60(FP), DI
	LEAL	(DI)(AX*4), DI
	MOVL	ws_base+24(FP), SI
	LEAL	(SI)(AX*4), SI
	MOVL	out_base+0(FP), BP
	LEAL	(BP)(AX*4), BP
	NEGL	AX
	MOVBLZX	pos+98(FP), DX
	TESTL	DX, DX
	JEQ	mone0
mone:
	FMOVF	(SI)(AX*4), F0	// ws
	FMULL	(DI)(AX*4), F0	// · ival (FIMUL, exact int), rounded to float32
	FMULF	(CX), F0	// · xs, rounded to float32
	FMOVFP	F0, (BP)(AX*4)	// = 0 + itself (pos)
	INCL	AX
	JNE	mone
	JMP	mdone
mone0:
	FLDZ
	FMOVF	(SI)(AX*4), F0
	FMULL	(DI)(AX*4), F0
	FMULF	(CX), F0
	FADDDP	F0, F1	// 0 + v: -0 becomes +0, as in the reference
	FMOVFP	F0, (BP)(AX*4)
	INCL	AX
	JNE	mone0
	JMP	mdone

mgeneral:
	// Row by row: SI the end of the row's scales, CX the end of xs, DI
	// the row's first ival (then DX runs over its sub-groups, 20 bytes
	// apart), BX the row's place in its block.
	MOVL	ws_base+24(FP), SI
	ADDL	DX, SI
	ADDL	DX, CX
	MOVL	ivals_base+60(FP), DI
	MOVL	out_base+0(FP), BP
	XORL	BX, BX
	MOVL	AX, 12(SP)
mrow:
	FLDZ
	MOVL	DI, DX
	MOVL	ng+80(FP), AX
	NEGL	AX
mg:
	FMOVF	(SI)(AX*4), F0	// ws
	FMULL	(DX), F0	// · ival (FIMUL, exact int), rounded to float32
	FMULF	(CX)(AX*4), F0	// · xs[g], rounded to float32
	FADDDP	F0, F1	// added to the row's sum, rounded to float32
	ADDL	$20, DX
	INCL	AX
	JNE	mg
	FMOVFP	F0, (BP)
	ADDL	$4, BP
	ADDL	56(SP), SI
	ADDL	$4, DI
	INCL	BX
	CMPL	BX, $5
	JNE	mrnext
	XORL	BX, BX
	ADDL	52(SP), DI
mrnext:
	DECL	12(SP)
	JNE	mrow

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
