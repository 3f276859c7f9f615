package checkpoint

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// header is what a checkpoint's header declares, before validation.
type header struct {
	format    Format
	config    Config
	shared    bool
	groupSize int // FormatQ8 only; 0 otherwise
	// groupSizes: FormatQ8 (uniform) and FormatQ8PerMatrix; zero otherwise
	groupSizes GroupSizes
}

// readHeader decodes the legacy or versioned header at the start of data.
// It checks only what decoding needs (length, magic, version, field
// ranges); Config.Validate checks the shape.
func readHeader(data []byte) (header, error) {
	if len(data) == 0 {
		return header{}, errors.New("empty file")
	}
	if len(data) >= 4 && binary.LittleEndian.Uint32(data) == magic {
		return readV1Header(data)
	}
	return readLegacyHeader(data)
}

// readLegacyHeader decodes llama2.c's 7×int32 header, where a negative
// vocab_size marks an unshared classifier.
func readLegacyHeader(data []byte) (header, error) {
	if len(data) < legacyHeaderSize {
		return header{}, fmt.Errorf("short header: legacy header needs %d bytes, file has %d", legacyHeaderSize, len(data))
	}
	f := ints(data[:legacyHeaderSize])
	h := header{format: FormatLegacy, shared: true}
	if f[5] < 0 {
		if f[5] == math.MinInt32 {
			return header{}, fmt.Errorf("header field vocab_size = %d is out of range", f[5])
		}
		h.shared = false
		f[5] = -f[5]
	}
	h.config = configOf(f)
	return h, nil
}

// readV1Header decodes export.py's 256-byte versioned header: version 1
// (fp32) or version 2 (Q8_0, with group_size at byte 37), or retrollama's
// version 3 (Q8_0 per matrix: nine group sizes from byte 37).
func readV1Header(data []byte) (header, error) {
	if len(data) < 8 {
		return header{}, fmt.Errorf("short header: versioned header needs %d bytes, file has %d", v1HeaderSize, len(data))
	}
	v := int32(binary.LittleEndian.Uint32(data[4:]))
	if v < 1 || v > 3 {
		return header{}, fmt.Errorf("header field version = %d is not supported (want 1, 2 or 3)", v)
	}
	if len(data) < v1HeaderSize {
		return header{}, fmt.Errorf("short header: version %d header needs %d bytes, file has %d", v, v1HeaderSize, len(data))
	}
	f := ints(data[8 : 8+7*4])
	sh := data[8+7*4]
	if sh > 1 {
		return header{}, fmt.Errorf("header field shared_classifier = %d must be 0 or 1", sh)
	}
	h := header{format: Format(v), config: configOf(f), shared: sh == 1}
	switch h.format {
	case FormatQ8:
		h.groupSize = int(int32(binary.LittleEndian.Uint32(data[groupSizeOffset:])))
		h.groupSizes = Uniform(h.groupSize)
	case FormatQ8PerMatrix:
		for i, k := range groupSizeKinds {
			*h.groupSizes.field(k.t) = int(int32(binary.LittleEndian.Uint32(data[groupSizeOffset+4*i:])))
		}
	}
	return h, nil
}

// ints decodes little-endian int32s.
func ints(b []byte) []int32 {
	out := make([]int32, len(b)/4)
	for i := range out {
		out[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// configOf builds a Config from the seven header fields in file order.
func configOf(f []int32) Config {
	return Config{
		Dim: int(f[0]), HiddenDim: int(f[1]), Layers: int(f[2]), Heads: int(f[3]),
		KVHeads: int(f[4]), VocabSize: int(f[5]), SeqLen: int(f[6]),
	}
}
