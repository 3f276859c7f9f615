package checkpoint

import "fmt"

// Parse decodes and validates a checkpoint held in data; name identifies
// it in errors and becomes Path. Nothing sized by the header is allocated
// until the header is validated and data's length matches the size it
// implies exactly. The weights are views into data when data is 4-byte
// aligned and the host little-endian (so data must then outlive them and
// not be modified), else decoded copies.
func Parse(name string, data []byte) (*Checkpoint, error) {
	h, err := readHeader(data)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", name, err)
	}
	if err := h.config.Validate(); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", name, err)
	}
	spans := layout(h.config, h.format, h.shared)
	n, err := weightBytes(spans)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", name, err)
	}
	hs := h.format.headerSize()
	want := int64(hs) + n
	if got := int64(len(data)); got != want {
		what := "truncated"
		if got > want {
			what = "trailing data"
		}
		return nil, fmt.Errorf("checkpoint %s: %s: header implies %d bytes, file has %d", name, what, want, got)
	}
	return &Checkpoint{
		Path:             name,
		Format:           h.format,
		Config:           h.config,
		SharedClassifier: h.shared,
		Weights:          assemble(spans, floatsOf(data[hs:])),
	}, nil
}
