package checkpoint

import "fmt"

// Parse decodes and validates a checkpoint held in data; name identifies
// it in errors and becomes Path. Nothing sized by the header is allocated
// until the header is validated and data's length matches the size it
// implies exactly. The weights are views into data when data is 4-byte
// aligned and the host little-endian (so data must then outlive them and
// not be modified), else decoded copies; Q8_0 values are always views, and
// their scales are copied wherever they fall unaligned.
func Parse(name string, data []byte) (*Checkpoint, error) {
	ck, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", name, err)
	}
	ck.Path = name
	return ck, nil
}

// parse is Parse without the file name, which Parse adds to every error.
func parse(data []byte) (*Checkpoint, error) {
	h, err := readHeader(data)
	if err != nil {
		return nil, err
	}
	if err := h.config.Validate(); err != nil {
		return nil, err
	}
	switch h.format {
	case FormatQ8:
		if err := h.config.CheckGroupSize(h.groupSize); err != nil {
			return nil, fmt.Errorf("header field %w", err)
		}
	case FormatQ8PerMatrix:
		if err := h.config.CheckGroupSizes(h.groupSizes, h.shared); err != nil {
			return nil, fmt.Errorf("header field %w", err)
		}
	}
	spans := layout(h.config, h.format, h.shared)
	n, err := weightBytes(spans, h.groupSizes)
	if err != nil {
		return nil, err
	}
	hs := h.format.headerSize()
	want := int64(hs) + n
	if got := int64(len(data)); got != want {
		what := "truncated"
		if got > want {
			what = "trailing data"
		}
		return nil, fmt.Errorf("%s: header implies %d bytes, file has %d", what, want, got)
	}
	ck := &Checkpoint{
		Format:           h.format,
		Config:           h.config,
		SharedClassifier: h.shared,
		GroupSize:        h.groupSize,
		GroupSizes:       h.groupSizes,
	}
	var src Source
	if h.format.Quantized() {
		src = byteSource(data[hs:])
	} else {
		src = FloatSource(floatsOf(data[hs:]))
	}
	ck.Weights = tensors(spans, h.groupSizes, src)
	return ck, nil
}
