package checkpoint

import (
	"encoding/binary"
	"math"
	"unsafe"
)

// littleEndianHost reports whether the host stores integers least
// significant byte first, as the checkpoint format does.
func littleEndianHost() bool {
	b := [2]byte{1, 0}
	return binary.NativeEndian.Uint16(b[:]) == 1
}

// floatsOf returns b's little-endian float32s: a view sharing b's memory
// when the host is little-endian and b is 4-byte aligned (no copy, so
// mapped weights stay out of the Go heap), else a decoded copy. len(b)
// must be a multiple of 4.
func floatsOf(b []byte) []float32 {
	n := len(b) / 4
	if n == 0 {
		return nil
	}
	if littleEndianHost() && uintptr(unsafe.Pointer(&b[0]))%4 == 0 {
		return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), n)
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}
