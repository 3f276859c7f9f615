#include "textflag.h"

// func leaf1EDX() uint32
TEXT ·leaf1EDX(SB), NOSPLIT, $0-4
	MOVL	$1, AX
	XORL	CX, CX
	CPUID
	MOVL	DX, ret+0(FP)
	RET

// func hasCPUID() bool: flip EFLAGS.ID (bit 21) and see whether it sticks.
TEXT ·hasCPUID(SB), NOSPLIT, $0-1
	PUSHFL
	POPL	AX
	MOVL	AX, CX
	XORL	$0x200000, AX
	PUSHL	AX
	POPFL
	PUSHFL
	POPL	AX
	PUSHL	CX
	POPFL
	XORL	CX, AX
	SHRL	$21, AX
	ANDL	$1, AX
	MOVB	AX, ret+0(FP)
	RET
