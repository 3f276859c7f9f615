package checkpoint

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/retrollama/retrollama/kernels"
)

// Write serialises an fp32 model to w in format f, byte for byte as
// llama2.c lays it out, so that tests can round-trip through Parse and
// users can save synthetic models. With shared set the classifier is not
// written (wt.Classifier is ignored); otherwise wt.Classifier is written
// after the other tensors. Legacy files get the RoPE frequency tables
// llama2.c's old exporter wrote, although no reader uses them. Every
// tensor's dtype and length is checked against cfg before anything is
// written.
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
	return write(w, f, cfg, shared, GroupSizes{}, wt)
}

// write is Write, WriteQ8 and WriteQ8PerMatrix after their checks of f,
// cfg and gs: a matrix whose kind has a group size in gs is written as
// Q8_0 (its int8 values, then its scales), every other tensor as float32s.
func write(w io.Writer, f Format, cfg Config, shared bool, gs GroupSizes, wt *Weights) error {
	if wt == nil {
		return errors.New("write checkpoint: nil weights")
	}
	spans := layout(cfg, f, shared)
	if _, err := weightBytes(spans, gs); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	if err := checkTensors(spans, gs, wt); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	e := NewEncoder(w)
	if err := e.Bytes(EncodeHeader(f, cfg, shared, gs)); err != nil {
		return fmt.Errorf("write checkpoint header: %w", err)
	}
	for _, s := range spans {
		var err error
		if s.t == tFreqReal || s.t == tFreqImag {
			err = e.Floats(FreqTable(cfg, s.t == tFreqImag))
		}
		for _, t := range wt.instances(s) {
			if t.DType == kernels.Q8_0 {
				if err = e.Int8s(t.Q8); err == nil {
					err = e.Floats(t.Scales)
				}
			} else {
				err = e.Floats(t.F32)
			}
			if err != nil {
				break
			}
		}
		if err != nil {
			return fmt.Errorf("write checkpoint %s: %w", s.desc, err)
		}
	}
	if err := e.Flush(); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	return nil
}

// EncodeHeader returns the format's header bytes for cfg, as Write puts
// them first in the file; gs is written for the Q8_0 formats only
// (FormatQ8: gs.WQ, the file's one group size).
func EncodeHeader(f Format, cfg Config, shared bool, gs GroupSizes) []byte {
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

// checkTensors reports the first tensor in wt whose layer count, dtype,
// length or scale count does not match the spans: a matrix whose kind has
// a group size in gs must be Q8_0 with that group size, every other
// tensor F32.
func checkTensors(spans []span, gs GroupSizes, wt *Weights) error {
	for _, s := range spans {
		if s.t == tFreqReal || s.t == tFreqImag {
			continue
		}
		ts := wt.instances(s)
		if len(ts) != int(s.count) {
			return fmt.Errorf("weights %s has %d layers, config wants %d", s.desc, len(ts), s.count)
		}
		values, g := int(s.elems()), gs.of(s.t)
		want := kernels.F32
		if g > 0 && s.quantized() {
			want = kernels.Q8_0
		}
		for l, t := range ts {
			switch {
			case t.DType != want:
				return fmt.Errorf("weights %s instance %d is %v, config and group sizes want %v", s.desc, l, t.DType, want)
			case want == kernels.Q8_0 && (len(t.Q8) != values || len(t.Scales) != values/g || t.GroupSize != g):
				return fmt.Errorf("weights %s instance %d has %d values and %d scales (group size %d), config and group_size = %d want %d and %d",
					s.desc, l, len(t.Q8), len(t.Scales), t.GroupSize, g, values, values/g)
			case want == kernels.F32 && len(t.F32) != values:
				if s.perLayer {
					return fmt.Errorf("weights %s layer %d has %d floats, config wants %d", s.desc, l, len(t.F32), values)
				}
				return fmt.Errorf("weights %s has %d floats, config wants %d", s.desc, len(t.F32), values)
			}
		}
	}
	return nil
}
