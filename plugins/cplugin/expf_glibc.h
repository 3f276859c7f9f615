//go:build cgo

// (The constraint above is for the go command, as in kernels.h.)
//
// glibc's expf as kernels/mathf.Exp writes it, in C, for the two C kernel
// builds: the cgo plugin (kernels.c here) and the SIMD128 WASM module
// (plugins/wasm/simd128/kernels.c, which includes this file by its
// relative path). It lives in this directory so that go's build cache
// sees it change.
//
// The includer defines, before including it:
//
//   f2u, d2u, u2d  the bit casts float→uint32_t, double→uint64_t and
//                  uint64_t→double;
//   RL_FMA(a, b, c) a correctly rounded double fused multiply-add
//                  (C's fma where the hardware has one, an emulation in
//                  WebAssembly);
//   RL_INFF        +Inf as a float.

#ifndef RL_EXPF_GLIBC_H
#define RL_EXPF_GLIBC_H

// exp2_table holds bits(2^(i/32)) - i<<47.
static const uint64_t exp2_table[32] = {
	0x3ff0000000000000, 0x3fefd9b0d3158574, 0x3fefb5586cf9890f, 0x3fef9301d0125b51,
	0x3fef72b83c7d517b, 0x3fef54873168b9aa, 0x3fef387a6e756238, 0x3fef1e9df51fdee1,
	0x3fef06fe0a31b715, 0x3feef1a7373aa9cb, 0x3feedea64c123422, 0x3feece086061892d,
	0x3feebfdad5362a27, 0x3feeb42b569d4f82, 0x3feeab07dd485429, 0x3feea47eb03a5585,
	0x3feea09e667f3bcd, 0x3fee9f75e8ec5f74, 0x3feea11473eb0187, 0x3feea589994cce13,
	0x3feeace5422aa0db, 0x3feeb737b0cdc5e5, 0x3feec49182a3f090, 0x3feed503b23e255d,
	0x3feee89f995ad3ad, 0x3feeff76f2fb5e47, 0x3fef199bdd85529c, 0x3fef3720dcef9069,
	0x3fef5818dcfba487, 0x3fef7c97337b9b5f, 0x3fefa4afa2a490da, 0x3fefd0765b6e4540,
};

// expf_glibc is glibc 2.36's expf, bit for bit: 2^(k/32) from the table
// times a degree-3 polynomial in the remainder, evaluated in double with
// fused multiply-adds.
static inline float expf_glibc(float x) {
	const double inv_ln2_n = 0x1.71547652b82fep+5; // 32/ln 2
	const double shift = 0x1.8p+52;
	const double c0 = 0x1.c6af84b912394p-20; // 0x1.c6af84b912394p-5 / 32^3
	const double c1 = 0x1.ebfce50fac4f3p-13; // 0x1.ebfce50fac4f3p-3 / 32^2
	const double c2 = 0x1.62e42ff0c52d6p-6;  // 0x1.62e42ff0c52d6p-1 / 32
	uint32_t abstop = (f2u(x) >> 20) & 0x7ff;
	if (abstop >= (f2u(88.0f) >> 20)) {
		if (f2u(x) == 0xff800000u) // -Inf
			return 0.0f;
		if (abstop >= (0x7f800000u >> 20)) // NaN or +Inf
			return x + x;
		if (x > 0x1.62e42ep6f)
			return RL_INFF;
		if (x < -0x1.9fe368p6f)
			return 0.0f;
	}
	double z = inv_ln2_n * (double)x;
	double kd = z + shift;
	uint64_t ki = d2u(kd);
	kd -= shift;
	double r = z - kd;
	double s = u2d(exp2_table[ki % 32] + (ki << 47));
	double zz = RL_FMA(c0, r, c1);
	double r2 = r * r;
	double y = RL_FMA(c2, r, 1.0);
	y = RL_FMA(zz, r2, y);
	return (float)(y * s);
}

#endif
