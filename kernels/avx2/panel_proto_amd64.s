//go:build panelproto

#include "textflag.h"

// A PROTOTYPE, built only with -tags panelproto, for the record (see
// panel_proto_test.go): the fp32 matmul on a row-interleaved panel layout,
// exact too, which the provider does not use because it needs a second,
// re-laid-out copy of every weight.

// func panelMatmulAVX2(out, panels, x *float32, cols, npanels int)
//
// out[64p + 8k + r] = Σ_j W[64p+8k+r][j]·x[j], for the weights laid out
// at Prepare as panels of 64 rows: panels[(p·cols + j)·64 + 8k + r] =
// W[64p+8k+r][j]. Per column j, one broadcast of x[j] and, for each of
// the 8 blocks of 8 rows, one VMULPS and one VADDPS into its accumulator
// (8 chains of additions in flight): no shuffles, one stream of weights.
// Each lane's sum runs j = 0, 1, ... from +0, as the reference's.
TEXT ·panelMatmulAVX2(SB), NOSPLIT, $0-40
	MOVQ out+0(FP), DI
	MOVQ panels+8(FP), R8
	MOVQ cols+24(FP), BX
	MOVQ npanels+32(FP), AX
	TESTQ AX, AX
	JLE  pdone

ppanel:
	MOVQ x+16(FP), SI
	LEAQ (SI)(BX*4), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	CMPQ SI, CX
	JEQ  pstore

pcol:
	VBROADCASTSS (SI), Y15
	VMULPS (R8), Y15, Y8
	VMULPS 32(R8), Y15, Y9
	VMULPS 64(R8), Y15, Y10
	VMULPS 96(R8), Y15, Y11
	VADDPS Y8, Y0, Y0
	VADDPS Y9, Y1, Y1
	VADDPS Y10, Y2, Y2
	VADDPS Y11, Y3, Y3
	VMULPS 128(R8), Y15, Y12
	VMULPS 160(R8), Y15, Y13
	VMULPS 192(R8), Y15, Y14
	VMULPS 224(R8), Y15, Y8
	VADDPS Y12, Y4, Y4
	VADDPS Y13, Y5, Y5
	VADDPS Y14, Y6, Y6
	VADDPS Y8, Y7, Y7
	ADDQ $256, R8
	ADDQ $4, SI
	CMPQ SI, CX
	JNE  pcol

pstore:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	ADDQ $256, DI
	DECQ AX
	JNZ  ppanel

pdone:
	VZEROUPPER
	RET
