#include "textflag.h"
#include "exp_x87.h"

// func expAMD64(x float32) float32
TEXT ·expAMD64(SB), NOSPLIT, $8-12
	FSTCW	0(SP)
	FLDCW	cw24<>(SB)
	LEAQ	cw24<>(SB), DI
	MOVL	x+0(FP), AX
	CALL	exp<>(SB)
	MOVL	AX, ret+8(FP)
	FLDCW	0(SP)
	RET
