package avx512

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/retrollama/retrollama/internal/kernels/kerneltest"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// floats fills n float32 values from b's bytes (little-endian, repeating
// b; zeros when b is empty): any bit pattern, NaNs and infinities
// included.
func floats(b []byte, n, skip int) []float32 {
	v := make([]float32, n)
	if len(b) == 0 {
		return v
	}
	var w [4]byte
	for i := range v {
		for k := range w {
			w[k] = b[(skip+4*i+k)%len(b)]
		}
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(w[:]))
	}
	return v
}

// FuzzMatMulF32: differential fuzzing of the fp32 matmul against the
// scalar reference, bit for bit, on any shape up to 40×300 and any bit
// patterns in w and x.
func FuzzMatMulF32(f *testing.F) {
	if Usable() != nil {
		f.Skip("avx512: ", Usable())
	}
	f.Add(uint8(16), uint16(16), []byte("\x00\x00\x80\x3f\x00\x00\x00\x80"))
	f.Add(uint8(17), uint16(33), []byte("\x01\x00\x00\x00\xff\xff\x7f\x7f\x00\x00\x80\xff\x01\x00\xc0\x7f"))
	f.Add(uint8(40), uint16(289), []byte("retrollama exact by construction"))
	ref := kerneltest.Initialised(f, scalar.New(), kerneltest.Stories15M())
	p := kerneltest.Initialised(f, New(2), kerneltest.Stories15M())
	f.Fuzz(func(t *testing.T, rows uint8, cols uint16, b []byte) {
		r, c := 1+int(rows)%40, 1+int(cols)%300
		w, x := floats(b, r*c, 0), floats(b, c, 3)
		checkExact(t, ref, p, kerneltest.F32(r, c, w), x, "fuzz")
	})
}

// FuzzMatMulQ8: differential fuzzing of the Q8_0 matmul against the
// scalar reference, bit for bit: any int8 weights (-128 included), any
// scale bits, any x, group sizes 32, 64 and 128, up to 40 rows.
func FuzzMatMulQ8(f *testing.F) {
	if usableQ8() != nil {
		f.Skip("avx512: ", usableQ8())
	}
	f.Add(uint8(16), uint8(9), uint8(0), []byte("\x80\x7f\x00\x01"), []byte("\x00\x00\x80\x3f"))
	f.Add(uint8(33), uint8(3), uint8(1), []byte("\x80\x80\x80\x80"), []byte("\x00\x00\x00\x80\x01\x00\x00\x00"))
	f.Add(uint8(7), uint8(2), uint8(2), []byte("any weights"), []byte("any x, as float32 bits"))
	ref := kerneltest.Initialised(f, scalar.New(), kerneltest.Stories15M())
	p := kerneltest.Initialised(f, New(2), kerneltest.Stories15M())
	f.Fuzz(func(t *testing.T, rows, groups, gsel uint8, wb, xb []byte) {
		gs := []int{32, 64, 128}[int(gsel)%3]
		r, g := 1+int(rows)%40, 1+int(groups)%8
		c := g * gs
		tensor := kernels.Tensor{Name: "wq8", DType: kernels.Q8_0, Rows: r, Cols: c, GroupSize: gs,
			Q8: make([]int8, r*c), Scales: floats(xb, r*g, 1)}
		for i := range tensor.Q8 {
			if len(wb) > 0 {
				tensor.Q8[i] = int8(wb[i%len(wb)] + byte(i/len(wb)))
			}
		}
		checkExact(t, ref, p, tensor, floats(xb, c, 0), "fuzz")
	})
}
