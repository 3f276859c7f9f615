package avx512

import (
	"math"

	"golang.org/x/sys/cpu"
)

// hasAVX512 is whether this CPU and OS run the fp32 kernel: AVX-512
// Foundation, BW and VL. x/sys/cpu sets its AVX-512 flags only when the
// OS saves the opmask and ZMM registers (XCR0 bits 5-7, read with
// XGETBV), so a kernel without ZMM support declines here. A variable so
// that a test can simulate a CPU without it.
var hasAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL

// hasVNNI is whether this CPU also has AVX512_VNNI (VPDPBUSD), which the
// Q8_0 kernels need.
var hasVNNI = hasAVX512 && cpu.X86.HasAVX512VNNI

//go:noescape
func f32x16(w, x, out *float32, n int)

//go:noescape
func q8x16g64(w *int8, n int, scales *float32, gidx *[16]int32, xq *int8, xs *float32, corr *int32, groups, gs int, out *float32)

//go:noescape
func q8x16g32(w *int8, n int, scales *float32, gidx *[16]int32, xq *int8, xs *float32, corr *int32, groups, gs int, out *float32)

//go:noescape
func quantize16(xq *int8, xs *float32, corr *int32, x *float32, groups, gs int) (nan bool)

// quantizeFast quantizes x as scalar.Quantize does into xq and xs, gs a
// multiple of 16, stores 128·Σxq per group in corr, and reports true;
// or false, leaving them undefined, where the assembly may differ from
// the reference (a NaN in x, a group whose scale is zero, subnormal or
// infinite), and the caller must quantize with the reference.
func quantizeFast(xq []int8, xs []float32, corr []int32, x []float32, gs int) bool {
	groups := len(x) / gs
	if groups == 0 {
		return true
	}
	_, _, _ = xq[groups*gs-1], xs[groups-1], corr[groups-1]
	if quantize16(&xq[0], &xs[0], &corr[0], &x[0], groups, gs) {
		return false
	}
	for _, s := range xs[:groups] {
		if !(s >= 0x1p-126 && s <= math.MaxFloat32) {
			return false
		}
	}
	return true
}

// matmul16 computes out[0:16] for the 16 rows of w (n floats each, n >
// 0) in the assembly.
func matmul16(out, w, x []float32, n int) {
	_, _, _ = out[15], w[16*n-1], x[n-1]
	f32x16(&w[0], &x[0], &out[0], n)
}

// q8matmul16 computes out[0:16] for the 16 rows of w (see q8Block).
func q8matmul16(out []float32, b q8Block) {
	n, g := b.cols, b.groups
	_, _, _ = out[15], b.w[16*n-1], b.scales[15*g+g-1]
	_, _, _ = b.xq[n-1], b.xs[g-1], b.corr[g-1]
	if b.gs == 32 {
		q8x16g32(&b.w[0], n, &b.scales[0], b.gidx, &b.xq[0], &b.xs[0], &b.corr[0], g, b.gs, &out[0])
	} else {
		q8x16g64(&b.w[0], n, &b.scales[0], b.gidx, &b.xq[0], &b.xs[0], &b.corr[0], g, b.gs, &out[0])
	}
}
