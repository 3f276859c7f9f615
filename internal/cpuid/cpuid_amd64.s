#include "textflag.h"

// func leaf1EDX() uint32
TEXT ·leaf1EDX(SB), NOSPLIT, $0-4
	MOVL	$1, AX
	XORL	CX, CX
	CPUID
	MOVL	DX, ret+0(FP)
	RET

// func hasCPUID() bool: every x86-64 CPU has CPUID.
TEXT ·hasCPUID(SB), NOSPLIT, $0-1
	MOVB	$1, ret+0(FP)
	RET
