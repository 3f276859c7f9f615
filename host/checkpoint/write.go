package checkpoint

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Write serialises a model to w in format f, byte for byte as llama2.c
// lays it out, so that tests can round-trip through Parse and users can
// save synthetic models. With shared set the classifier is not written
// (wt.Classifier is ignored); otherwise wt.Classifier is written after the
// other tensors. Legacy files get the RoPE frequency tables llama2.c's old
// exporter wrote, although no reader uses them. Every tensor's length is
// checked against cfg before anything is written.
func Write(w io.Writer, f Format, cfg Config, shared bool, wt *Weights) error {
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
	bw := bufio.NewWriterSize(w, 1<<16)
	if _, err := bw.Write(encodeHeader(f, cfg, shared)); err != nil {
		return fmt.Errorf("write checkpoint header: %w", err)
	}
	var buf []byte
	put := func(fs []float32) error {
		for len(fs) > 0 {
			n := min(len(fs), 1<<14)
			buf = buf[:0]
			for _, v := range fs[:n] {
				buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
			}
			if _, err := bw.Write(buf); err != nil {
				return err
			}
			fs = fs[n:]
		}
		return nil
	}
	for _, s := range spans {
		for _, t := range tensorsOf(s, cfg, wt) {
			if err := put(t); err != nil {
				return fmt.Errorf("write checkpoint %s: %w", s.desc, err)
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	return nil
}

// encodeHeader returns the format's header bytes for cfg.
func encodeHeader(f Format, cfg Config, shared bool) []byte {
	vocab := cfg.VocabSize
	var b []byte
	if f == FormatV1 {
		b = binary.LittleEndian.AppendUint32(b, magic)
		b = binary.LittleEndian.AppendUint32(b, 1)
	} else if !shared {
		vocab = -vocab // legacy marks an unshared classifier this way
	}
	c := cfg
	c.VocabSize = vocab
	for _, fd := range c.fields() {
		b = binary.LittleEndian.AppendUint32(b, uint32(int32(fd.value)))
	}
	if f == FormatV1 {
		if shared {
			b = append(b, 1)
		} else {
			b = append(b, 0)
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
