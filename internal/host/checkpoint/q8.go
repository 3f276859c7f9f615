package checkpoint

import (
	"unsafe"

	"github.com/retrollama/retrollama/internal/f32"
	"github.com/retrollama/retrollama/kernels"
)

// DequantizeRange sets dst to the values of the Q8_0 tensor t from index
// off on, exactly as runq.c dequantizes them (one float32 multiply per
// value, float32(Q8[i]) * Scales[i/GroupSize]); off and len(dst) are
// multiples of t.GroupSize, as a row of a matrix is.
func DequantizeRange(dst []float32, t kernels.Tensor, off int) {
	gs := t.GroupSize
	for start := 0; start < len(dst); start += gs {
		end := min(start+gs, len(dst))
		f32.ScaleInt8(dst[start:end], t.Q8[off+start:off+end], t.Scales[(off+start)/gs])
	}
}

// int8sOf views b as int8s; int8 has no alignment requirement, so this
// never copies (mapped values stay out of the Go heap).
func int8sOf(b []byte) []int8 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*int8)(unsafe.Pointer(&b[0])), len(b))
}

// byteSource hands out the tensors of a Q8_0 file's weight region body
// in file order: int8 values as views, float32s (the RMS-norm vectors and
// the scales) as views when aligned (see floatsOf) and decoded copies
// otherwise, since int8 sizes need not be multiples of 4.
func byteSource(body []byte) Source {
	off := 0
	take := func(n int) []byte {
		b := body[off : off+n : off+n]
		off += n
		return b
	}
	floats := func(n int) []float32 { return floatsOf(take(4 * n)) }
	return Source{
		Floats: floats,
		Int8s:  func(n int) []int8 { return int8sOf(take(n)) },
		Scales: floats,
	}
}
