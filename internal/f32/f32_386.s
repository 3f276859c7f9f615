#include "textflag.h"

// Every function sets the x87 precision control to single (control word
// 0x007F: all exceptions masked, round to nearest, 24-bit significand),
// so each FADD/FDIV result is rounded exactly as a float32 operation is,
// and restores the caller's control word before returning. The x87 stack
// is empty on entry and on return.

// func add(x, y []float32): x[i] += y[i]
TEXT ·add(SB), NOSPLIT, $4-24
	MOVL	x_base+0(FP), DI
	MOVL	x_len+4(FP), CX
	MOVL	y_base+12(FP), SI
	FSTCW	0(SP)
	MOVW	$0x007F, 2(SP)
	FLDCW	2(SP)
addloop:
	FMOVF	(DI), F0
	FADDF	(SI), F0
	FMOVFP	F0, (DI)
	ADDL	$4, DI
	ADDL	$4, SI
	DECL	CX
	JNE	addloop
	FLDCW	0(SP)
	RET

// func div(x []float32, d float32): x[i] /= d
TEXT ·div(SB), NOSPLIT, $4-16
	MOVL	x_base+0(FP), DI
	MOVL	x_len+4(FP), CX
	FSTCW	0(SP)
	MOVW	$0x007F, 2(SP)
	FLDCW	2(SP)
	FMOVF	d+12(FP), F0
divloop:
	FMOVF	(DI), F0      // F0 = x[i], F1 = d
	FDIVD	F1, F0        // F0 = x[i] / d
	FMOVFP	F0, (DI)
	ADDL	$4, DI
	DECL	CX
	JNE	divloop
	FMOVDP	F0, F0        // pop d
	FLDCW	0(SP)
	RET

// func argmax(x []float32) int: first index of the largest element (>).
TEXT ·argmax(SB), NOSPLIT, $0-16
	MOVL	x_base+0(FP), SI
	MOVL	x_len+4(FP), CX
	XORL	AX, AX        // best index
	MOVL	$1, DX        // i
	FMOVF	(SI), F0      // F0 = best value
	CMPL	CX, $1
	JEQ	argdone
argloop:
	FMOVF	(SI)(DX*4), F0 // F0 = x[i], F1 = best
	FCOMI	F1, F0        // compare F0 with F1: CF=ZF=PF=1 unordered, CF=1 if F0 < F1, ZF=1 equal
	JPS	argskip       // NaN on either side: x[i] > best is false
	JCC	argnew        // !(F0 < F1) and ordered: F0 >= F1
argskip:
	FMOVDP	F0, F0        // drop x[i]
	JMP	argnext
argnew:
	JEQ	argskip       // equal is not greater
	FMOVDP	F0, F1        // best = x[i], pop
	MOVL	DX, AX
argnext:
	INCL	DX
	CMPL	DX, CX
	JNE	argloop
argdone:
	FMOVDP	F0, F0        // pop best
	MOVL	AX, ret+12(FP)
	RET

// func search(p []float32, coin float32) int: first i with coin < p[0]+…+p[i].
TEXT ·search(SB), NOSPLIT, $4-20
	MOVL	p_base+0(FP), SI
	MOVL	p_len+4(FP), CX
	FSTCW	0(SP)
	MOVW	$0x007F, 2(SP)
	FLDCW	2(SP)
	FMOVF	coin+12(FP), F0 // F0 = coin
	FLDZ                    // F0 = cdf, F1 = coin
	XORL	AX, AX
searchloop:
	FADDF	(SI)(AX*4), F0  // cdf += p[i], rounded to single
	FCOMI	F1, F0          // compare cdf with coin: CF=1 if cdf < coin, ZF=1 equal
	JPS	searchnext      // NaN: coin < cdf is false
	JLS	searchnext      // cdf <= coin (CF or ZF)
	JMP	searchfound
searchnext:
	INCL	AX
	CMPL	AX, CX
	JNE	searchloop
	MOVL	$-1, AX
searchfound:
	FMOVDP	F0, F0
	FMOVDP	F0, F0
	FLDCW	0(SP)
	MOVL	AX, ret+16(FP)
	RET

// func scaleInt8(dst []float32, q []int8, s float32): dst[i] = float32(q[i])·s.
// FILD of the sign-extended byte is exact; FMUL rounds to 24 bits.
TEXT ·scaleInt8(SB), NOSPLIT, $8-28
	MOVL	dst_base+0(FP), DI
	MOVL	dst_len+4(FP), CX
	MOVL	q_base+12(FP), SI
	FSTCW	0(SP)
	MOVW	$0x007F, 2(SP)
	FLDCW	2(SP)
scaleloop:
	MOVBLSX	(SI), AX
	MOVL	AX, 4(SP)
	FMOVL	4(SP), F0	// float(q[i]), exact
	FMULF	s+24(FP), F0	// · s, rounded to float32's significand
	FMOVFP	F0, (DI)
	ADDL	$4, DI
	INCL	SI
	DECL	CX
	JNE	scaleloop
	FLDCW	0(SP)
	RET
