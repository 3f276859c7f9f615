package checkpoint

import (
	"bufio"
	"encoding/binary"
	"io"
	"math"
	"unsafe"
)

// encoder writes little-endian checkpoint data through a buffer.
type encoder struct {
	bw  *bufio.Writer
	buf []byte
}

// newEncoder returns an encoder writing to w; call flush when done.
func newEncoder(w io.Writer) *encoder {
	return &encoder{bw: bufio.NewWriterSize(w, 1<<16)}
}

// bytes writes b as is.
func (e *encoder) bytes(b []byte) error {
	_, err := e.bw.Write(b)
	return err
}

// floats writes fs as little-endian float32s.
func (e *encoder) floats(fs []float32) error {
	for len(fs) > 0 {
		n := min(len(fs), 1<<14)
		e.buf = e.buf[:0]
		for _, v := range fs[:n] {
			e.buf = binary.LittleEndian.AppendUint32(e.buf, math.Float32bits(v))
		}
		if err := e.bytes(e.buf); err != nil {
			return err
		}
		fs = fs[n:]
	}
	return nil
}

// int8s writes q as bytes (two's complement, as C's int8_t).
func (e *encoder) int8s(q []int8) error {
	if len(q) == 0 {
		return nil
	}
	return e.bytes(unsafe.Slice((*byte)(unsafe.Pointer(&q[0])), len(q)))
}

// flush writes out whatever is buffered.
func (e *encoder) flush() error { return e.bw.Flush() }
