package checkpoint

import (
	"bufio"
	"encoding/binary"
	"io"
	"math"
	"unsafe"
)

// Encoder writes little-endian checkpoint data through a buffer: the
// writers here, and synthetic models streamed to a file, encode with it.
type Encoder struct {
	bw  *bufio.Writer
	buf []byte
}

// NewEncoder returns an Encoder writing to w; call Flush when done.
func NewEncoder(w io.Writer) *Encoder {
	return &Encoder{bw: bufio.NewWriterSize(w, 1<<16)}
}

// Bytes writes b as is.
func (e *Encoder) Bytes(b []byte) error {
	_, err := e.bw.Write(b)
	return err
}

// Floats writes fs as little-endian float32s.
func (e *Encoder) Floats(fs []float32) error {
	for len(fs) > 0 {
		n := min(len(fs), 1<<14)
		e.buf = e.buf[:0]
		for _, v := range fs[:n] {
			e.buf = binary.LittleEndian.AppendUint32(e.buf, math.Float32bits(v))
		}
		if err := e.Bytes(e.buf); err != nil {
			return err
		}
		fs = fs[n:]
	}
	return nil
}

// Int8s writes q as bytes (two's complement, as C's int8_t).
func (e *Encoder) Int8s(q []int8) error {
	if len(q) == 0 {
		return nil
	}
	return e.Bytes(unsafe.Slice((*byte)(unsafe.Pointer(&q[0])), len(q)))
}

// Flush writes out whatever is buffered.
func (e *Encoder) Flush() error { return e.bw.Flush() }
