package avx2

import "golang.org/x/sys/cpu"

// hasAVX2FMA is whether this CPU (and OS, which must save the YMM
// registers: x/sys/cpu checks OSXSAVE) runs the assembly kernels.
var hasAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func dot4AVX2(w0, w1, w2, w3, x *float32, n int) (s0, s1, s2, s3 float32)

//go:noescape
func dot1AVX2(w, x *float32, n int) float32

// dot4 returns the dot products of four rows with x over the first n16
// floats (n16 a multiple of 16, > 0).
func dot4(w0, w1, w2, w3, x []float32, n16 int) (float32, float32, float32, float32) {
	return dot4AVX2(&w0[0], &w1[0], &w2[0], &w3[0], &x[0], n16)
}

// dot1 returns one row's dot product with x over the first n16 floats.
func dot1(w, x []float32, n16 int) float32 { return dot1AVX2(&w[0], &x[0], n16) }
