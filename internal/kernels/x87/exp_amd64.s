#include "textflag.h"
#include "exp_x87.h"

// func expAMD64(x float32) float32
TEXT ·expAMD64(SB), NOSPLIT, $40-12
	FSTCW	0(SP)
	FLDCW	cw64<>(SB)
	MOVL	x+0(FP), AX
	FMOVF	x+0(FP), F0
	EXPF
	FMOVFP	F0, ret+8(FP)
	FLDCW	0(SP)
	RET

	EXPSPECIAL
