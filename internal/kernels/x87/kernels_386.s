// The x87 kernels. Each function saves the caller's control word, runs
// with its own (cw24: float32 rounding, or cw64 where every result is
// stored to a float32 at once) and restores the caller's before it
// returns, with the x87 stack empty again. Register names in comments:
// F0 is the top of the x87 stack; "a b c" lists it from the top down.
// The Go declarations and the checks that keep these loops inside their
// slices are in kernels_386.go.

#include "textflag.h"
#include "exp_x87.h"

// 1e-5 as float32, RMSNorm's epsilon.
DATA	eps<>+0(SB)/4, $0x3727c5ac
GLOBL	eps<>(SB), RODATA|NOPTR, $4

// func matMul(out, w, x []float32, stride int)
//
// out[i] = Σ_j w[i·stride+j]·x[j], j in order, for i < len(out). Four rows
// at a time keep their sums in F0..F3. Every product is FLD x[j], FMUL
// w[i][j] (the load folded into the multiply), FADDP into the row's sum:
// one load, one multiply and one add per multiply-add, the fewest an x87
// product can take (sharing one FLD of x[j] between the rows needs an FLD
// of a copy per row instead, the same count). The sums are independent,
// so their adds overlap in the FPU's pipeline, yet each is the same
// sequence of float32 operations as scalar's. The j loop runs four
// columns a pass (loop overhead a quarter per column), its first pass
// entered part way (below), so the order stays j = 0, 1, 2, ... Rows are
// addressed from their ends with a negative index CX = j - len(x), which
// counts up to zero.
//
// Column 0's products are the sums' first values, without scalar's
// 0 + p (one FLDZ and FADDP fewer a row): the same value but for p = -0,
// where 0 + -0 is +0; a row's sum can then end -0 only if every product
// was -0, where scalar's is +0, so a stored -0 is made +0.
//
// The columns after column 0 run in quads, the first entered at the stage
// that leaves a whole number of quads after it (len(x) = 4n: at its
// second column), so no column runs outside the unrolled loop.
//
// Frame: 0(SP) caller's control word, 4(SP) -len(x), 8(SP) &out[len(out)],
// 12(SP) stride in bytes, 16(SP) the stage e, 20(SP) the first quad's CX.

// MAC4(off) adds w[i][j]·x[j] to the four sums for the column at byte
// offset off from CX's: rows at AX, BX, DX, BP; stack s0 s1 s2 s3.
#define MAC4(off) \
	FMOVF	off(DI)(CX*4), F0 \
	FMULF	off(AX)(CX*4), F0 \
	FADDDP	F0, F1 \
	FMOVF	off(DI)(CX*4), F0 \
	FMULF	off(BX)(CX*4), F0 \
	FADDDP	F0, F2 \
	FMOVF	off(DI)(CX*4), F0 \
	FMULF	off(DX)(CX*4), F0 \
	FADDDP	F0, F3 \
	FMOVF	off(DI)(CX*4), F0 \
	FMULF	off(BP)(CX*4), F0 \
	FADDDP	F0, F4

// MAC1(off): the same for one row, at AX; stack s.
#define MAC1(off) \
	FMOVF	off(DI)(CX*4), F0 \
	FMULF	off(AX)(CX*4), F0 \
	FADDDP	F0, F1

TEXT ·matMul(SB), NOSPLIT, $24-40
	FSTCW	0(SP)
	FLDCW	cw24<>(SB)
	MOVL	x_len+28(FP), CX
	MOVL	x_base+24(FP), DI
	LEAL	(DI)(CX*4), DI        // DI = &x[len(x)]
	MOVL	w_base+12(FP), AX
	LEAL	(AX)(CX*4), AX        // AX = end of row 0
	NEGL	CX
	MOVL	CX, 4(SP)
	MOVL	stride+36(FP), DX
	SHLL	$2, DX
	MOVL	DX, 12(SP)
	LEAL	1(CX), BX             // -(len(x)-1): the columns after column 0
	ANDL	$3, BX
	MOVL	BX, 16(SP)            // e = -(len(x)-1) mod 4, the quad's stage to start at
	LEAL	1(CX), DX
	SUBL	BX, DX
	MOVL	DX, 20(SP)            // that quad's CX: column 1 is its stage e
	MOVL	out_base+0(FP), SI
	MOVL	out_len+4(FP), BX
	LEAL	(SI)(BX*4), DX
	MOVL	DX, 8(SP)             // &out[len(out)]
	TESTL	CX, CX
	JEQ	zeros
	SUBL	$16, DX               // the last block's &out[i]
	CMPL	SI, DX
	JA	tail

block:
	MOVL	12(SP), BP
	LEAL	(AX)(BP*1), BX        // end of row 1
	LEAL	(AX)(BP*2), DX        // end of row 2
	LEAL	(DX)(BP*1), BP        // end of row 3
	MOVL	4(SP), CX
	// Column 0's products start the sums (scalar's 0 + p is p, but for
	// p = -0: fixed after the store).
	FMOVF	(DI)(CX*4), F0
	FMULF	(BP)(CX*4), F0
	FMOVF	(DI)(CX*4), F0
	FMULF	(DX)(CX*4), F0
	FMOVF	(DI)(CX*4), F0
	FMULF	(BX)(CX*4), F0
	FMOVF	(DI)(CX*4), F0
	FMULF	(AX)(CX*4), F0        // s0 s1 s2 s3
	MOVL	20(SP), CX            // columns 1.. in quads, the first entered at stage e
	CMPL	16(SP), $1
	JEQ	stage1
	CMPL	16(SP), $2
	JEQ	stage2
	CMPL	16(SP), $3
	JEQ	stage3
	TESTL	CX, CX                // e = 0: none left if len(x) = 1
	JEQ	store4

loop4:
	MAC4(0)
stage1:
	MAC4(4)
stage2:
	MAC4(8)
stage3:
	MAC4(12)
	ADDL	$4, CX
	JNE	loop4

store4:
	FMOVFP	F0, 0(SI)
	FMOVFP	F0, 4(SI)
	FMOVFP	F0, 8(SI)
	FMOVFP	F0, 12(SI)
	CMPL	0(SI), $0x80000000    // a -0 sum: every product -0, where
	JEQ	negz0                 // scalar's 0 + -0 + ... is +0
back0:
	CMPL	4(SI), $0x80000000
	JEQ	negz1
back1:
	CMPL	8(SI), $0x80000000
	JEQ	negz2
back2:
	CMPL	12(SI), $0x80000000
	JEQ	negz3
back3:
	ADDL	$16, SI
	MOVL	BP, AX
	ADDL	12(SP), AX            // end of the next block's row 0
	MOVL	8(SP), DX
	SUBL	$16, DX
	CMPL	SI, DX
	JBE	block

tail:
	CMPL	SI, 8(SP)
	JEQ	done

row:
	MOVL	4(SP), CX
	FMOVF	(DI)(CX*4), F0
	FMULF	(AX)(CX*4), F0        // s
	MOVL	20(SP), CX
	CMPL	16(SP), $1
	JEQ	stage1r
	CMPL	16(SP), $2
	JEQ	stage2r
	CMPL	16(SP), $3
	JEQ	stage3r
	TESTL	CX, CX
	JEQ	store1

loop1:
	MAC1(0)
stage1r:
	MAC1(4)
stage2r:
	MAC1(8)
stage3r:
	MAC1(12)
	ADDL	$4, CX
	JNE	loop1

store1:
	FMOVFP	F0, 0(SI)
	CMPL	0(SI), $0x80000000
	JEQ	negz
back:
	ADDL	$4, SI
	ADDL	12(SP), AX
	CMPL	SI, 8(SP)
	JNE	row

done:
	FLDCW	0(SP)
	RET

zeros:                                // len(x) = 0: every sum is 0
	CMPL	SI, 8(SP)
	JEQ	done
	MOVL	$0, 0(SI)
	ADDL	$4, SI
	JMP	zeros

negz0:
	MOVL	$0, 0(SI)
	JMP	back0
negz1:
	MOVL	$0, 4(SI)
	JMP	back1
negz2:
	MOVL	$0, 8(SI)
	JMP	back2
negz3:
	MOVL	$0, 12(SI)
	JMP	back3
negz:
	MOVL	$0, 0(SI)
	JMP	back

// func matMulT(out, a, v []float32, stride int)
//
// out[i] = Σ_t a[t]·v[t·stride+i], t in order, for i < len(out): the
// weighted sum of attention's value rows. scalar adds a[t]·v_t into out
// row after row; for each out[i] that is the same sequence of float32
// operations as this column-wise loop, which keeps four out[i] in F0..F3.
// Each product is FLD a[t], FMUL m32 v, FADDP, as in matMul; two rows t,
// t+1 a pass (after a single one if len(a) is odd), at SI and SI+BP.
//
// Frame: 0(SP) caller's control word, 4(SP) columns left.

// TMAC4(off, v0, v1, v2, v3): the products of a[t] at off(DI)(CX*4) and
// one row of v, its four columns at v0..v3, added to s0 s1 s2 s3.
#define TMAC4(off, v0, v1, v2, v3) \
	FMOVF	off(DI)(CX*4), F0 \
	FMULF	v0, F0 \
	FADDDP	F0, F1 \
	FMOVF	off(DI)(CX*4), F0 \
	FMULF	v1, F0 \
	FADDDP	F0, F2 \
	FMOVF	off(DI)(CX*4), F0 \
	FMULF	v2, F0 \
	FADDDP	F0, F3 \
	FMOVF	off(DI)(CX*4), F0 \
	FMULF	v3, F0 \
	FADDDP	F0, F4

TEXT ·matMulT(SB), NOSPLIT, $8-40
	FSTCW	0(SP)
	FLDCW	cw24<>(SB)
	MOVL	a_len+16(FP), AX
	MOVL	a_base+12(FP), DI
	LEAL	(DI)(AX*4), DI        // DI = &a[len(a)]
	NEGL	AX                    // AX = -len(a)
	MOVL	stride+36(FP), BP
	SHLL	$2, BP                // BP = stride in bytes
	MOVL	v_base+24(FP), BX     // BX = &v[i], the block's first column
	MOVL	out_base+0(FP), DX
	MOVL	out_len+4(FP), CX
	MOVL	CX, 4(SP)
	CMPL	CX, $4
	JLT	ttail

tblock:
	FLDZ
	FLDZ
	FLDZ
	FLDZ                          // s0 s1 s2 s3
	MOVL	AX, CX
	MOVL	BX, SI
	TESTL	$1, CX
	JEQ	tpairs4
	TMAC4(0, 0(SI), 4(SI), 8(SI), 12(SI)) // the odd row first
	ADDL	BP, SI
	INCL	CX

tpairs4:
	TESTL	CX, CX
	JEQ	tstore4

tloop4:
	TMAC4(0, 0(SI), 4(SI), 8(SI), 12(SI))
	TMAC4(4, 0(SI)(BP*1), 4(SI)(BP*1), 8(SI)(BP*1), 12(SI)(BP*1))
	LEAL	(SI)(BP*2), SI
	ADDL	$2, CX
	JNE	tloop4

tstore4:
	FMOVFP	F0, 0(DX)
	FMOVFP	F0, 4(DX)
	FMOVFP	F0, 8(DX)
	FMOVFP	F0, 12(DX)
	ADDL	$16, DX
	ADDL	$16, BX
	MOVL	4(SP), CX
	SUBL	$4, CX
	MOVL	CX, 4(SP)
	CMPL	CX, $4
	JGE	tblock

ttail:
	TESTL	CX, CX
	JEQ	tdone

tcol:
	FLDZ
	MOVL	AX, CX
	MOVL	BX, SI
	TESTL	CX, CX
	JEQ	tstore1

tloop1:
	FMOVF	(DI)(CX*4), F0
	FMULF	0(SI), F0
	FADDDP	F0, F1
	ADDL	BP, SI
	INCL	CX
	JNE	tloop1

tstore1:
	FMOVFP	F0, 0(DX)
	ADDL	$4, DX
	ADDL	$4, BX
	DECL	4(SP)
	JNE	tcol

tdone:
	FLDCW	0(SP)
	RET

// func rmsNorm(out, x, w []float32)
//
// ss = Σ x[j]², in order; ss /= len(x); ss += 1e-5; ss = 1/sqrt(ss);
// out[j] = w[j]·(ss·x[j]). FSQRT and FDIV round correctly to float32 under
// cw24, as sqrtf and the division do. out may be x. len(x) > 0.
TEXT ·rmsNorm(SB), NOSPLIT, $8-36
	FSTCW	0(SP)
	FLDCW	cw24<>(SB)
	MOVL	x_len+16(FP), CX
	MOVL	x_base+12(FP), SI
	MOVL	w_base+24(FP), BX
	MOVL	out_base+0(FP), DI
	LEAL	(SI)(CX*4), SI
	LEAL	(BX)(CX*4), BX
	LEAL	(DI)(CX*4), DI
	NEGL	CX
	MOVL	CX, DX
	FLDZ

sumsq:
	FMOVF	(SI)(CX*4), F0
	FMULD	F0, F0
	FADDDP	F0, F1
	INCL	CX
	JNE	sumsq

	FMOVL	x_len+16(FP), F0      // len(x), exact
	FDIVDP	F0, F1                // ss / len(x)
	FADDF	eps<>(SB), F0
	FSQRT
	FLD1
	FDIVRDP	F0, F1                // 1 / sqrt
	MOVL	DX, CX

scale:
	FMOVF	(SI)(CX*4), F0
	FMULD	F1, F0                // ss·x
	FMULF	(BX)(CX*4), F0        // w·(ss·x)
	FMOVFP	F0, (DI)(CX*4)
	INCL	CX
	JNE	scale

	FMOVDP	F0, F0
	FLDCW	0(SP)
	RET

// func rope(v, cs []float32)
//
// Rotates the pairs (v[i], v[i+1]) of every head (len(cs) values) of v by
// the angles whose cosines and sines cs interleaves:
// v[i] = v0·cos - v1·sin, v[i+1] = v0·sin + v1·cos, each product rounded
// to float32 first, as scalar's rotate. len(cs) is even and positive and
// divides len(v).
TEXT ·rope(SB), NOSPLIT, $8-24
	FSTCW	0(SP)
	FLDCW	cw24<>(SB)
	MOVL	v_base+0(FP), SI
	MOVL	v_len+4(FP), DX
	LEAL	(SI)(DX*4), DX        // DX = &v[len(v)]

head:
	CMPL	SI, DX
	JAE	rdone
	MOVL	cs_base+12(FP), BX
	MOVL	cs_len+16(FP), CX
	SHRL	$1, CX

pair:
	FMOVF	0(SI), F0             // v0
	FMOVF	4(SI), F0             // v1 v0
	FMOVD	F1, F0                // v0 v1 v0
	FMULF	0(BX), F0             // v0·cos v1 v0
	FMOVD	F1, F0                // v1 v0·cos v1 v0
	FMULF	4(BX), F0             // v1·sin v0·cos v1 v0
	FSUBDP	F0, F1                // v0·cos-v1·sin v1 v0
	FMOVFP	F0, 0(SI)             // v1 v0
	FMULF	0(BX), F0             // v1·cos v0
	FXCHD	F0, F1                // v0 v1·cos
	FMULF	4(BX), F0             // v0·sin v1·cos
	FADDDP	F0, F1                // v0·sin+v1·cos
	FMOVFP	F0, 4(SI)
	ADDL	$8, SI
	ADDL	$8, BX
	DECL	CX
	JNE	pair
	JMP	head

rdone:
	FLDCW	0(SP)
	RET

// func divide(x []float32, d float32)
//
// x[i] /= d, as x[i]·R for R = 1/d rounded to 64 bits (cw64), one FDIV a
// call instead of one an element. x[i]·R is within 2^-63 relative of
// x[i]/d, and a quotient of two float32s is never that close to a
// float32 rounding boundary unless it is exact: with x = X·2^a and d =
// D·2^b for integers X, D < 2^24, a midpoint m = (2M+1)·2^c between two
// float32s (M < 2^24) has x - m·d a nonzero multiple of 2^min(a, b+c)
// (m·d's 49 bits cannot equal a 24-bit x unless D is a power of two, and
// then R is exact), so |x/d - m| ≥ 2^-49 relative, subnormal results
// included. So the store, rounding x[i]·R to float32, gives the correctly
// rounded quotient, as SSE's division; infinities, zeros and NaNs of d
// and x give what division gives (1/±0 = ±Inf, 1/±Inf = ±0, x·Inf,
// 0·Inf = NaN).
TEXT ·divide(SB), NOSPLIT, $8-16
	MOVL	x_len+4(FP), CX
	TESTL	CX, CX
	JEQ	ddone
	FSTCW	0(SP)
	FLDCW	cw64<>(SB)
	MOVL	x_base+0(FP), SI
	LEAL	(SI)(CX*4), SI
	NEGL	CX
	FLD1
	FDIVF	d+12(FP), F0          // R = 1/d

dloop:
	FMOVF	(SI)(CX*4), F0
	FMULD	F1, F0
	FMOVFP	F0, (SI)(CX*4)        // x[i]·R, rounded to float32
	INCL	CX
	JNE	dloop

	FMOVDP	F0, F0
	FLDCW	0(SP)

ddone:
	RET

// func softmax(x []float32)
//
// scalar's softmax: max (v > max, so NaNs never become the max unless x[0]
// is one), x[i] = expf(x[i] - max) with a sequential float32 sum, then
// x[i] /= sum as in divide: x[i]·(1/sum). All under cw64 (EXPF's):
// x[i] - max and the sum are rounded to float32 by storing them (64 ≥
// 2·24+2, so rounding to 64 bits and then to float32 is rounding once).
//
// Frame: 0(SP) caller's control word, 4(SP) -len(x), 8(SP) the sum as a
// float32, 16(SP)..39(SP) EXPF's.
TEXT ·softmax(SB), NOSPLIT, $40-12
	MOVL	x_len+4(FP), CX
	TESTL	CX, CX
	JEQ	sret
	FSTCW	0(SP)
	FLDCW	cw64<>(SB)
	MOVL	x_base+0(FP), SI
	LEAL	(SI)(CX*4), SI
	NEGL	CX
	MOVL	CX, 4(SP)
	FMOVF	(SI)(CX*4), F0        // max = x[0]
	INCL	CX
	JEQ	maxdone

maxloop:
	FMOVF	(SI)(CX*4), F0        // v max
	FUCOMI	F0, F1
	FCMOVBE	F1, F0                // unless v > max: max
	FMOVDP	F0, F1                // max
	INCL	CX
	JNE	maxloop

maxdone:
	FLDZ                          // sum max
	MOVL	4(SP), CX

exploop:
	FMOVF	(SI)(CX*4), F0
	FSUBD	F2, F0
	FMOVFP	F0, (SI)(CX*4)        // x[i] - max, as a float32: exp's argument
	MOVL	(SI)(CX*4), AX
	FMOVF	(SI)(CX*4), F0
	EXPF
	FMOVFP	F0, (SI)(CX*4)        // x[i] = expf(x[i] - max)
	FADDF	(SI)(CX*4), F0
	FMOVFP	F0, 8(SP)
	FMOVF	8(SP), F0             // sum += x[i], rounded to float32
	INCL	CX
	JNE	exploop

	FLD1
	FDIVRDP	F0, F1                // R = 1/sum; max
	MOVL	4(SP), CX

sdiv:
	FMOVF	(SI)(CX*4), F0
	FMULD	F1, F0
	FMOVFP	F0, (SI)(CX*4)        // x[i]·R, rounded to float32: x[i] / sum
	INCL	CX
	JNE	sdiv

	FMOVDP	F0, F0
	FMOVDP	F0, F0
	FLDCW	0(SP)

sret:
	RET

	EXPSPECIAL

// func swiGLU(gate, up []float32)
//
// gate[i] = v·(1/(1+expf(-v)))·up[i] for v = gate[i], every step rounded
// to float32 in scalar's order. The steps run under cw64 (EXPF's) and
// each result is stored as a float32 before the next step reads it: the
// store rounds the 64-bit result to float32, which gives the correctly
// rounded float32 result of each +, / and · (64 ≥ 2·24+2; subnormals
// included), as SSE computes it.
//
// Frame: 0(SP) caller's control word, 8(SP) a float32 temporary,
// 16(SP)..39(SP) EXPF's.
TEXT ·swiGLU(SB), NOSPLIT, $40-24
	MOVL	gate_len+4(FP), CX
	TESTL	CX, CX
	JEQ	gret
	FSTCW	0(SP)
	FLDCW	cw64<>(SB)
	MOVL	gate_base+0(FP), SI
	MOVL	up_base+12(FP), BP
	LEAL	(SI)(CX*4), SI
	LEAL	(BP)(CX*4), BP
	NEGL	CX

gloop:
	MOVL	(SI)(CX*4), AX
	XORL	$0x80000000, AX       // -v
	FMOVF	(SI)(CX*4), F0
	FCHS                          // -v
	EXPF
	FMOVFP	F0, 8(SP)             // e = expf(-v)
	FLD1
	FADDF	8(SP), F0
	FMOVFP	F0, 8(SP)             // 1 + e
	FLD1
	FDIVF	8(SP), F0
	FMOVFP	F0, 8(SP)             // 1 / (1 + e)
	FMOVF	(SI)(CX*4), F0
	FMULF	8(SP), F0
	FMOVFP	F0, 8(SP)             // v·(1/(1+e))
	FMOVF	8(SP), F0
	FMULF	(BP)(CX*4), F0
	FMOVFP	F0, (SI)(CX*4)        // ·up[i]
	INCL	CX
	JNE	gloop

	FLDCW	0(SP)

gret:
	RET

	EXPSPECIAL

// func expf(x float32) float32
TEXT ·expf(SB), NOSPLIT, $40-8
	FSTCW	0(SP)
	FLDCW	cw64<>(SB)
	MOVL	x+0(FP), AX
	FMOVF	x+0(FP), F0
	EXPF
	FMOVFP	F0, ret+4(FP)
	FLDCW	0(SP)
	RET

	EXPSPECIAL
