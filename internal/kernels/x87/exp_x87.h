// exp_x87.h: glibc's expf in x87 code, shared by the 386 kernels
// (kernels_386.s) and the amd64 build of the same instructions that lets
// the tests compare it with kernels/mathf.Exp on every float32 natively
// (exp_amd64.s). See doc.go for the algorithm and why it is bit-identical.

// Control words: exceptions masked, round to nearest, precision control
// single (24-bit significand) or extended (64).
DATA	cw24<>+0(SB)/2, $0x007f
GLOBL	cw24<>(SB), RODATA|NOPTR, $2
DATA	cw64<>+0(SB)/2, $0x037f
GLOBL	cw64<>(SB), RODATA|NOPTR, $2

// mathf.Exp's constants, as float64 bits.
DATA	invln2n<>+0(SB)/8, $0x40471547652b82fe // 32/ln2
GLOBL	invln2n<>(SB), RODATA|NOPTR, $8
DATA	expc0<>+0(SB)/8, $0x3ebc6af84b912394
GLOBL	expc0<>(SB), RODATA|NOPTR, $8
DATA	expc1<>+0(SB)/8, $0x3f2ebfce50fac4f3
GLOBL	expc1<>(SB), RODATA|NOPTR, $8
DATA	expc2<>+0(SB)/8, $0x3f962e42ff0c52d6
GLOBL	expc2<>(SB), RODATA|NOPTR, $8
DATA	one<>+0(SB)/8, $0x3ff0000000000000
GLOBL	one<>(SB), RODATA|NOPTR, $8
DATA	inf32<>+0(SB)/4, $0x7f800000
GLOBL	inf32<>(SB), RODATA|NOPTR, $4

// exptab: bits(2^(i/32)) - i<<47, glibc's EXP2F table (mathf.exp2Table).
DATA	exptab<>+0(SB)/8, $0x3ff0000000000000
DATA	exptab<>+8(SB)/8, $0x3fefd9b0d3158574
DATA	exptab<>+16(SB)/8, $0x3fefb5586cf9890f
DATA	exptab<>+24(SB)/8, $0x3fef9301d0125b51
DATA	exptab<>+32(SB)/8, $0x3fef72b83c7d517b
DATA	exptab<>+40(SB)/8, $0x3fef54873168b9aa
DATA	exptab<>+48(SB)/8, $0x3fef387a6e756238
DATA	exptab<>+56(SB)/8, $0x3fef1e9df51fdee1
DATA	exptab<>+64(SB)/8, $0x3fef06fe0a31b715
DATA	exptab<>+72(SB)/8, $0x3feef1a7373aa9cb
DATA	exptab<>+80(SB)/8, $0x3feedea64c123422
DATA	exptab<>+88(SB)/8, $0x3feece086061892d
DATA	exptab<>+96(SB)/8, $0x3feebfdad5362a27
DATA	exptab<>+104(SB)/8, $0x3feeb42b569d4f82
DATA	exptab<>+112(SB)/8, $0x3feeab07dd485429
DATA	exptab<>+120(SB)/8, $0x3feea47eb03a5585
DATA	exptab<>+128(SB)/8, $0x3feea09e667f3bcd
DATA	exptab<>+136(SB)/8, $0x3fee9f75e8ec5f74
DATA	exptab<>+144(SB)/8, $0x3feea11473eb0187
DATA	exptab<>+152(SB)/8, $0x3feea589994cce13
DATA	exptab<>+160(SB)/8, $0x3feeace5422aa0db
DATA	exptab<>+168(SB)/8, $0x3feeb737b0cdc5e5
DATA	exptab<>+176(SB)/8, $0x3feec49182a3f090
DATA	exptab<>+184(SB)/8, $0x3feed503b23e255d
DATA	exptab<>+192(SB)/8, $0x3feee89f995ad3ad
DATA	exptab<>+200(SB)/8, $0x3feeff76f2fb5e47
DATA	exptab<>+208(SB)/8, $0x3fef199bdd85529c
DATA	exptab<>+216(SB)/8, $0x3fef3720dcef9069
DATA	exptab<>+224(SB)/8, $0x3fef5818dcfba487
DATA	exptab<>+232(SB)/8, $0x3fef7c97337b9b5f
DATA	exptab<>+240(SB)/8, $0x3fefa4afa2a490da
DATA	exptab<>+248(SB)/8, $0x3fefd0765b6e4540
GLOBL	exptab<>(SB), RODATA|NOPTR, $256

// EXPF is expf, expanded inline in its callers (softmax, swiGLU, and the
// expf wrappers of the tests):
//   in:  AX = the bits of the float32 argument x, F0 = x; the control
//        word cw64 in force (it stays so: EXPF never changes it); at most
//        6 x87 registers in use, x included (EXPF needs 2).
//   out: F0 = expf(x) before its final rounding, glibc's y·s as a double
//        (or 0, +Inf, x+x), which the caller stores as a float32 (a store
//        rounds the double once, as glibc's conversion); the rest of the
//        x87 stack as on entry. Clobbers AX, BX and DX and 16(SP)..39(SP)
//        of the caller's frame.
// The caller places EXPSPECIAL, the arguments |x| >= 88, Inf and NaN, out
// of its straight line (after its RET); the two define the labels
// exppoly, expdone, expspecial, expneg, expzero, expinf and expnan.
//
// Frame: 16(SP) z, then y·s as float64s; 24(SP) k as an int32, then the
// scale s = 2^(k/32) as a float64; 32(SP) y1 as a float64.
//
// Everything runs under cw64: a product or sum is rounded to 64 bits, and
// where glibc rounds a value to double it is stored as a float64 and
// loaded back (two moves, where a switch of the control word to cw53 and
// back costs two FLDCWs, ~10 cycles each on a P6). Rounding to 64 bits
// and then to 53 can differ from rounding once to 53 when the exact value
// lies within 2^-64 relative of a double's rounding boundary; as for the
// products (see doc.go), the exhaustive comparison with mathf.Exp
// (TestExpX87EveryFloat32: 0 mismatches in 2^32 arguments) is what shows
// that this never changes a float32 result. y = zz·r² + y1 is used as
// computed, to 64 bits (rounding it to double first changed no result in
// the exhaustive test); y·s must be rounded to double before float32, as
// glibc's double rounding (without, 1 argument of 2^32 differed).
//
// The steps:
//   z = x·32/ln2, rounded to double; k = z rounded to the nearest integer,
//   ties to even (FIST), as glibc's kd = z + 0x1.8p52 - 0x1.8p52; r = z - k
//   (exact); s = 2^(k/32) = exptab[k%32] + k<<47 (only k's low word
//   matters); y = fma(fma(c0, r, c1), r², fma(c2, r, 1)) with the products
//   in extended precision (within 2^-64 of exact), y1 = c2·r + 1 rounded to
//   double like the fused operation's, zz = c0·r + c1 extended (its last
//   bits move y by less than 2^-66), zz·r² as (zz·r)·r, within 2^-63 of
//   exact, where glibc's r² is a double; then y·s.

#ifdef GOARCH_amd64
#define EXPSCALE \
	LEAQ	exptab<>(SB), AX \
	ADDL	4(AX)(BX*8), DX \
	MOVL	DX, 28(SP) \
	MOVL	(AX)(BX*8), DX
#else
#define EXPSCALE \
	ADDL	exptab<>+4(SB)(BX*8), DX \
	MOVL	DX, 28(SP) \
	MOVL	exptab<>+0(SB)(BX*8), DX
#endif

#define EXPF \
	MOVL	AX, DX \
	SHRL	$20, DX \
	ANDL	$0x7ff, DX \
	CMPL	DX, $0x42b /* |x| >= 88, Inf or NaN */ \
	JAE	expspecial \
exppoly: \
	FMULD	invln2n<>(SB), F0     /* x·32/ln2 */ \
	FMOVDP	F0, 16(SP) \
	FMOVD	16(SP), F0            /* z, rounded to double */ \
	FMOVL	F0, 24(SP)            /* k = z rounded to an integer (FIST) */ \
	FMOVL	24(SP), F0            /* k z */ \
	FSUBDP	F0, F1                /* r = z - k */ \
	MOVL	24(SP), DX \
	MOVL	DX, BX \
	ANDL	$31, BX \
	SHLL	$15, DX \
	EXPSCALE \
	MOVL	DX, 24(SP)            /* s */ \
	FMOVD	expc2<>(SB), F0 \
	FMULD	F1, F0                /* c2·r r */ \
	FADDD	one<>(SB), F0         /* c2·r + 1 r */ \
	FMOVDP	F0, 32(SP)            /* y1, rounded to double; r */ \
	FMOVD	expc0<>(SB), F0 \
	FMULD	F1, F0                /* c0·r r */ \
	FADDD	expc1<>(SB), F0       /* zz = c0·r + c1; r */ \
	FMULD	F1, F0                /* zz·r r */ \
	FMULDP	F0, F1                /* zz·r·r */ \
	FADDD	32(SP), F0            /* y = zz·r² + y1 */ \
	FMULD	24(SP), F0            /* y·s */ \
	FMOVDP	F0, 16(SP) \
	FMOVD	16(SP), F0            /* rounded to double: glibc's y·s */ \
expdone:

#define EXPSPECIAL \
expspecial: \
	CMPL	AX, $0xff800000 /* -Inf */ \
	JEQ	expzero \
	CMPL	DX, $0x7f8 /* NaN, +Inf: x + x */ \
	JAE	expnan \
	TESTL	AX, AX \
	JS	expneg \
	CMPL	AX, $0x42b17217 /* x > 0x1.62e42ep6: overflow */ \
	JHI	expinf \
	JMP	exppoly \
expneg: \
	CMPL	AX, $0xc2cff1b4 /* x < -0x1.9fe368p6: underflow */ \
	JHI	expzero \
	JMP	exppoly \
expzero: \
	FMOVDP	F0, F0 \
	FLDZ \
	JMP	expdone \
expinf: \
	FMOVDP	F0, F0 \
	FMOVF	inf32<>(SB), F0 \
	JMP	expdone \
expnan: \
	FADDD	F0, F0 \
	JMP	expdone
