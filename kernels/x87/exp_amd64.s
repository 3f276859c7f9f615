#include "textflag.h"
#include "exp_x87.h"

// func expAMD64(x float32) float32
TEXT ·expAMD64(SB), NOSPLIT, $8-12
	FSTCW	0(SP)
	FLDCW	cw64<>(SB)
	MOVL	x+0(FP), AX
	FMOVF	x+0(FP), F0
	CALL	exp<>(SB)
	FMOVFP	F0, ret+8(FP)
	FLDCW	0(SP)
	RET
