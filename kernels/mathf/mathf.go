// Package mathf provides the single-precision functions llama2.c calls
// (expf, sinf, cosf, powf, sqrtf) with results bit-identical to the C
// library its golden outputs were made with: glibc on x86-64, whose expf,
// sinf and cosf (the algorithms of Szabolcs Nagy's optimized-routines)
// evaluate in double precision and, on CPUs with FMA, fuse their
// polynomial steps. A correctly rounded float32(math.Exp(x)) differs from
// glibc's expf once in ~14,000 inputs and sin/cos once in ~700; over a
// 256-token generation that is enough to flip a sampled token, so
// reproducing llama2.c byte for byte needs these exact algorithms. They are
// reimplemented here from the published algorithm descriptions, with the
// fused steps written as math.FMA so results are the same on every GOARCH.
//
// The test vectors in testdata were printed by glibc 2.36 itself (see
// testdata/gen.c).
package mathf

import "math"

// Sqrt is sqrtf: correctly rounded, as IEEE 754 requires.
func Sqrt(x float32) float32 { return float32(math.Sqrt(float64(x))) }

// Pow is powf for the arguments llama2.c uses: 10000^(i/headSize) for RoPE.
// It matches glibc bit for bit for every even head size up to 128 (all
// llama2.c and Llama 2 models; checked by the tests). glibc's powf is not
// correctly rounded, so for larger head sizes a frequency may differ from
// glibc's in the last bit (e.g. head size 194); porting glibc's powf would
// close that gap if such a model ever appears.
func Pow(x, y float32) float32 { return float32(math.Pow(float64(x), float64(y))) }

// exp2Bits is the size of the 2^(i/32) table (EXP2F_TABLE_BITS).
const exp2Bits = 5

// exp2Table holds bits(2^(i/32)) - i<<47, so that adding k<<47 for k =
// round(x·32/ln2) yields 2^(k/32) directly.
var exp2Table = [1 << exp2Bits]uint64{
	0x3ff0000000000000, 0x3fefd9b0d3158574, 0x3fefb5586cf9890f, 0x3fef9301d0125b51,
	0x3fef72b83c7d517b, 0x3fef54873168b9aa, 0x3fef387a6e756238, 0x3fef1e9df51fdee1,
	0x3fef06fe0a31b715, 0x3feef1a7373aa9cb, 0x3feedea64c123422, 0x3feece086061892d,
	0x3feebfdad5362a27, 0x3feeb42b569d4f82, 0x3feeab07dd485429, 0x3feea47eb03a5585,
	0x3feea09e667f3bcd, 0x3fee9f75e8ec5f74, 0x3feea11473eb0187, 0x3feea589994cce13,
	0x3feeace5422aa0db, 0x3feeb737b0cdc5e5, 0x3feec49182a3f090, 0x3feed503b23e255d,
	0x3feee89f995ad3ad, 0x3feeff76f2fb5e47, 0x3fef199bdd85529c, 0x3fef3720dcef9069,
	0x3fef5818dcfba487, 0x3fef7c97337b9b5f, 0x3fefa4afa2a490da, 0x3fefd0765b6e4540,
}

// Exp is glibc's expf: exp(x) = 2^(k/32) · 2^(r/32), k integer, with a
// cubic for 2^(r/32) evaluated in double precision.
func Exp(x float32) float32 {
	const (
		n         = 1 << exp2Bits
		invLn2N   = 0x1.71547652b82fep+0 * n
		shift     = 0x1.8p+52
		c0        = 0x1.c6af84b912394p-5 / n / n / n
		c1        = 0x1.ebfce50fac4f3p-3 / n / n
		c2        = 0x1.62e42ff0c52d6p-1 / n
		overflow  = 0x1.62e42ep6  // above: +Inf
		underflow = -0x1.9fe368p6 // below: 0
	)
	bits := math.Float32bits(x)
	if abstop := bits >> 20 & 0x7ff; abstop >= math.Float32bits(88)>>20 {
		switch {
		case x == float32(math.Inf(-1)):
			return 0
		case abstop >= math.Float32bits(float32(math.Inf(1)))>>20:
			return x + x // NaN or +Inf
		case x > overflow:
			return float32(math.Inf(1))
		case x < underflow:
			return 0
		}
	}
	z := invLn2N * float64(x)
	kd := z + shift
	ki := math.Float64bits(kd)
	kd -= shift
	r := z - kd
	s := math.Float64frombits(exp2Table[ki%n] + ki<<(52-exp2Bits))
	zz := math.FMA(c0, r, c1)
	r2 := r * r
	y := math.FMA(c2, r, 1)
	y = math.FMA(zz, r2, y)
	return float32(y * s)
}

// sincosCoeffs is one of glibc's two sincosf coefficient sets: the second
// serves quadrants where sin and cos swap sign.
type sincosCoeffs struct {
	sign               [4]float64
	hpiInv, hpi        float64
	c0, c1, c2, c3, c4 float64
	s1, s2, s3         float64
}

var sincosTable = [2]sincosCoeffs{
	{
		sign:   [4]float64{1, -1, -1, 1},
		hpiInv: 0x1.45F306DC9C883p+23, hpi: 0x1.921FB54442D18p0,
		c0: 0x1p0, c1: -0x1.ffffffd0c621cp-2, c2: 0x1.55553e1068f19p-5, c3: -0x1.6c087e89a359dp-10, c4: 0x1.99343027bf8c3p-16,
		s1: -0x1.555545995a603p-3, s2: 0x1.1107605230bc4p-7, s3: -0x1.994eb3774cf24p-13,
	},
	{
		sign:   [4]float64{1, -1, -1, 1},
		hpiInv: 0x1.45F306DC9C883p+23, hpi: 0x1.921FB54442D18p0,
		c0: -0x1p0, c1: 0x1.ffffffd0c621cp-2, c2: -0x1.55553e1068f19p-5, c3: 0x1.6c087e89a359dp-10, c4: -0x1.99343027bf8c3p-16,
		s1: -0x1.555545995a603p-3, s2: 0x1.1107605230bc4p-7, s3: -0x1.994eb3774cf24p-13,
	},
}

// invPio4 are sliding 32-bit windows over the bits of 2/π, for the
// Payne–Hanek style reduction of large arguments.
var invPio4 = [24]uint32{
	0xa2, 0xa2f9, 0xa2f983, 0xa2f9836e,
	0xf9836e4e, 0x836e4e44, 0x6e4e4415, 0x4e441529,
	0x441529fc, 0x1529fc27, 0x29fc2757, 0xfc2757d1,
	0x2757d1f5, 0x57d1f534, 0xd1f534dd, 0xf534ddc0,
	0x34ddc0db, 0xddc0db62, 0xc0db6295, 0xdb629599,
	0x6295993c, 0x95993c43, 0x993c4390, 0x3c439041,
}

func abstop12(x float32) uint32 { return math.Float32bits(x) >> 20 & 0x7ff }

// sinPoly evaluates sin (n even) or cos (n odd) of a reduced argument.
func sinPoly(x, x2 float64, p *sincosCoeffs, n int) float32 {
	if n&1 == 0 {
		x3 := x * x2
		s1 := math.FMA(x2, p.s3, p.s2)
		x7 := x3 * x2
		s := math.FMA(x3, p.s1, x)
		return float32(math.FMA(x7, s1, s))
	}
	x4 := x2 * x2
	c2 := math.FMA(x2, p.c4, p.c3)
	c1 := math.FMA(x2, p.c1, p.c0)
	x6 := x4 * x2
	c := math.FMA(x4, p.c2, c1)
	return float32(math.FMA(x6, c2, c))
}

// reduceFast reduces |x| < 120 to [-π/4, π/4] and returns the quadrant.
func reduceFast(x float64, p *sincosCoeffs) (float64, int) {
	r := x * p.hpiInv
	n := (int32(r) + 0x800000) >> 24
	return math.FMA(-float64(n), p.hpi, x), int(n)
}

// reduceLarge reduces a large finite argument given by its bits.
func reduceLarge(xi uint32) (float64, int) {
	const pi63 = 0x1.921FB54442D18p-62
	arr := invPio4[(xi>>26)&15:]
	shift := (xi >> 23) & 7
	xi = (xi & 0xffffff) | 0x800000
	xi <<= shift
	res0 := uint64(xi * arr[0])
	res1 := uint64(xi) * uint64(arr[4])
	res2 := uint64(xi) * uint64(arr[8])
	res0 = (res2 >> 32) | (res0 << 32)
	res0 += res1
	n := (res0 + 1<<61) >> 62
	res0 -= n << 62
	return float64(int64(res0)) * pi63, int(n)
}

// Sin is glibc's sinf.
func Sin(y float32) float32 { return sincos(y, 0) }

// Cos is glibc's cosf.
func Cos(y float32) float32 { return sincos(y, 1) }

// sincos computes sin (odd = 0) or cos (odd = 1) as glibc's sinf/cosf.
func sincos(y float32, odd int) float32 {
	const pio4 = float32(0x1.921FB6p-1)
	x := float64(y)
	p := &sincosTable[0]
	top := abstop12(y)
	switch {
	case top < abstop12(pio4):
		if top < abstop12(0x1p-12) {
			if odd == 1 {
				return 1
			}
			return y
		}
		return sinPoly(x, x*x, p, odd)
	case top < abstop12(120):
		r, n := reduceFast(x, p)
		s := p.sign[n&3]
		if n&2 != 0 {
			p = &sincosTable[1]
		}
		return sinPoly(r*s, r*r, p, n^odd)
	case top < abstop12(float32(math.Inf(1))):
		xi := math.Float32bits(y)
		sign := int(xi >> 31)
		r, n := reduceLarge(xi)
		s := p.sign[(n+sign)&3]
		if (n+sign)&2 != 0 {
			p = &sincosTable[1]
		}
		return sinPoly(r*s, r*r, p, n^odd)
	}
	return float32(math.NaN())
}
