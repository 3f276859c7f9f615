package checkpoint

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Write serialises a model to w in format f, byte for byte as llama2.c
// lays it out, so that tests can round-trip through Parse and users can
// save synthetic models. With shared set the classifier is not written
// (wt.Classifier is ignored); otherwise wt.Classifier is written after the
// other tensors. Legacy files get the RoPE frequency tables llama2.c's old
// exporter wrote, although no reader uses them. Every tensor's length is
// checked against cfg before anything is written.
func Write(w io.Writer, f Format, cfg Config, shared bool, wt *Weights) error {
	if f.Quantized() {
		return fmt.Errorf("write checkpoint: format %v is written by WriteQ8 or WriteQ8PerMatrix", f)
	}
	if f != FormatLegacy && f != FormatV1 {
		return fmt.Errorf("write checkpoint: unknown format %v", f)
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	if wt == nil {
		return errors.New("write checkpoint: nil weights")
	}
	spans := layout(cfg, f, shared)
	if err := checkLengths(spans, wt); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	e := newEncoder(w)
	if err := e.bytes(encodeHeader(f, cfg, shared, GroupSizes{})); err != nil {
		return fmt.Errorf("write checkpoint header: %w", err)
	}
	for _, s := range spans {
		for _, t := range tensorsOf(s, cfg, wt) {
			if err := e.floats(t); err != nil {
				return fmt.Errorf("write checkpoint %s: %w", s.desc, err)
			}
		}
	}
	if err := e.flush(); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	return nil
}

// encodeHeader returns the format's header bytes for cfg; gs is written
// for the Q8_0 formats only (FormatQ8: gs.WQ, the file's one group size).
func encodeHeader(f Format, cfg Config, shared bool, gs GroupSizes) []byte {
	vocab := cfg.VocabSize
	versioned := f == FormatV1 || f.Quantized()
	var b []byte
	if versioned {
		b = binary.LittleEndian.AppendUint32(b, magic)
		b = binary.LittleEndian.AppendUint32(b, uint32(f))
	} else if !shared {
		vocab = -vocab // legacy marks an unshared classifier this way
	}
	c := cfg
	c.VocabSize = vocab
	for _, fd := range c.fields() {
		b = binary.LittleEndian.AppendUint32(b, uint32(int32(fd.value)))
	}
	if versioned {
		if shared {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
		switch f {
		case FormatQ8:
			b = binary.LittleEndian.AppendUint32(b, uint32(int32(gs.WQ)))
		case FormatQ8PerMatrix:
			for _, v := range gs.list() {
				b = binary.LittleEndian.AppendUint32(b, uint32(int32(v)))
			}
		}
		b = append(b, make([]byte, v1HeaderSize-len(b))...)
	}
	return b
}

// tensorsOf returns the slices to write for a span, in order: one per
// layer for per-layer tensors, the computed table for frequency tables.
func tensorsOf(s span, cfg Config, wt *Weights) [][]float32 {
	switch {
	case s.perLayer:
		return *wt.layered(s.t)
	case s.t == tFreqReal || s.t == tFreqImag:
		return [][]float32{ropeTable(cfg, s.t == tFreqImag)}
	}
	return [][]float32{*wt.single(s.t)}
}

// checkLengths reports the first tensor in wt whose length (or layer
// count) does not match the spans.
func checkLengths(spans []span, wt *Weights) error {
	for _, s := range spans {
		want := int(s.elems())
		if s.perLayer {
			layers := *wt.layered(s.t)
			if len(layers) != int(s.count) {
				return fmt.Errorf("weights %s has %d layers, config wants %d", s.desc, len(layers), s.count)
			}
			for l, t := range layers {
				if len(t) != want {
					return fmt.Errorf("weights %s layer %d has %d floats, config wants %d", s.desc, l, len(t), want)
				}
			}
			continue
		}
		if p := wt.single(s.t); p != nil && len(*p) != want {
			return fmt.Errorf("weights %s has %d floats, config wants %d", s.desc, len(*p), want)
		}
	}
	return nil
}
