#include "textflag.h"

// func dot4AVX2(w0, w1, w2, w3, x *float32, n int) (s0, s1, s2, s3 float32)
//
// Four rows' dot products with x over n floats, n a multiple of 16: x is
// loaded once per 16 floats for all four rows, and each row keeps two
// independent 8-lane FMA accumulators (8 in all, Y4–Y11), so the FMA
// latency is covered and a pass streams four weight rows.
TEXT ·dot4AVX2(SB), NOSPLIT, $0-64
	MOVQ w0+0(FP), R8
	MOVQ w1+8(FP), R9
	MOVQ w2+16(FP), R10
	MOVQ w3+24(FP), R11
	MOVQ x+32(FP), SI
	MOVQ n+40(FP), CX
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	XORQ AX, AX
	CMPQ CX, $0
	JLE  reduce

loop:
	VMOVUPS (SI)(AX*4), Y0
	VMOVUPS 32(SI)(AX*4), Y1
	VFMADD231PS (R8)(AX*4), Y0, Y4
	VFMADD231PS 32(R8)(AX*4), Y1, Y5
	VFMADD231PS (R9)(AX*4), Y0, Y6
	VFMADD231PS 32(R9)(AX*4), Y1, Y7
	VFMADD231PS (R10)(AX*4), Y0, Y8
	VFMADD231PS 32(R10)(AX*4), Y1, Y9
	VFMADD231PS (R11)(AX*4), Y0, Y10
	VFMADD231PS 32(R11)(AX*4), Y1, Y11
	ADDQ $16, AX
	CMPQ AX, CX
	JLT  loop

reduce:
	// Each row: its two accumulators, then the 8 lanes, summed in a
	// fixed order (so results do not depend on anything but n).
	VADDPS Y5, Y4, Y4
	VADDPS Y7, Y6, Y6
	VADDPS Y9, Y8, Y8
	VADDPS Y11, Y10, Y10
	VEXTRACTF128 $1, Y4, X5
	VADDPS X5, X4, X4
	VEXTRACTF128 $1, Y6, X7
	VADDPS X7, X6, X6
	VEXTRACTF128 $1, Y8, X9
	VADDPS X9, X8, X8
	VEXTRACTF128 $1, Y10, X11
	VADDPS X11, X10, X10
	VHADDPS X4, X4, X4
	VHADDPS X4, X4, X4
	VHADDPS X6, X6, X6
	VHADDPS X6, X6, X6
	VHADDPS X8, X8, X8
	VHADDPS X8, X8, X8
	VHADDPS X10, X10, X10
	VHADDPS X10, X10, X10
	VZEROUPPER
	MOVSS X4, s0+48(FP)
	MOVSS X6, s1+52(FP)
	MOVSS X8, s2+56(FP)
	MOVSS X10, s3+60(FP)
	RET

// func dot1AVX2(w, x *float32, n int) float32
//
// One row's dot product over n floats, n a multiple of 16: four
// independent 8-lane accumulators over 32 floats per pass while they
// last, then 16 at a time.
TEXT ·dot1AVX2(SB), NOSPLIT, $0-28
	MOVQ w+0(FP), R8
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	XORQ AX, AX
	CMPQ CX, $0
	JLE  done1

loop1:
	VMOVUPS (SI)(AX*4), Y0
	VMOVUPS 32(SI)(AX*4), Y1
	VFMADD231PS (R8)(AX*4), Y0, Y4
	VFMADD231PS 32(R8)(AX*4), Y1, Y5
	ADDQ $16, AX
	CMPQ AX, CX
	JLT  loop1

done1:
	VADDPS Y5, Y4, Y4
	VEXTRACTF128 $1, Y4, X5
	VADDPS X5, X4, X4
	VHADDPS X4, X4, X4
	VHADDPS X4, X4, X4
	VZEROUPPER
	MOVSS X4, ret+24(FP)
	RET
