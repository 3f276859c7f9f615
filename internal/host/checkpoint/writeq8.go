package checkpoint

import (
	"errors"
	"fmt"
	"io"
)

// WriteQ8 serialises a Q8_0 model to w in FormatQ8, byte for byte as
// llama2.c's export.py (version 2) lays it out and runq.c reads it: the
// 256-byte header with groupSize, the RMS-norm vectors of rms in float32
// (its other fields are ignored), then every matrix of q as its int8
// values followed by its scales. With shared set the classifier is not
// written (q.Classifier is ignored). The configuration, the group size and
// every tensor's length are checked before anything is written.
func WriteQ8(w io.Writer, cfg Config, shared bool, groupSize int, rms *Weights, q *QuantizedWeights) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	if err := cfg.CheckGroupSize(groupSize); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	return writeQ8(w, FormatQ8, cfg, shared, Uniform(groupSize), rms, q)
}

// WriteQ8PerMatrix serialises a Q8_0 model to w in FormatQ8PerMatrix:
// WriteQ8's layout with the header's nine group sizes gs, each matrix's
// scales counted by its kind's group size. It is retrollama's format;
// llama2.c's runq.c refuses it (version 3).
func WriteQ8PerMatrix(w io.Writer, cfg Config, shared bool, gs GroupSizes, rms *Weights, q *QuantizedWeights) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	if err := cfg.CheckGroupSizes(gs, shared); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	return writeQ8(w, FormatQ8PerMatrix, cfg, shared, gs, rms, q)
}

// writeQ8 is WriteQ8 and WriteQ8PerMatrix after their checks of cfg and gs.
func writeQ8(w io.Writer, f Format, cfg Config, shared bool, gs GroupSizes, rms *Weights, q *QuantizedWeights) error {
	if rms == nil || q == nil {
		return errors.New("write checkpoint: nil weights")
	}
	spans := layout(cfg, f, shared)
	if _, err := weightBytes(spans, gs); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	var plain []span
	for _, s := range spans {
		if !s.quantized() {
			plain = append(plain, s)
		}
	}
	if err := checkLengths(plain, rms); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	if err := checkQ8Lengths(spans, gs, q); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	e := newEncoder(w)
	if err := e.bytes(encodeHeader(f, cfg, shared, gs)); err != nil {
		return fmt.Errorf("write checkpoint header: %w", err)
	}
	for _, s := range spans {
		var err error
		if s.quantized() {
			for _, m := range matricesOf(s, q) {
				if err = e.int8s(m.Q); err == nil {
					err = e.floats(m.S)
				}
				if err != nil {
					break
				}
			}
		} else {
			for _, t := range tensorsOf(s, cfg, rms) {
				if err = e.floats(t); err != nil {
					break
				}
			}
		}
		if err != nil {
			return fmt.Errorf("write checkpoint %s: %w", s.desc, err)
		}
	}
	if err := e.flush(); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	return nil
}

// matricesOf returns the Q8 matrices of a quantized span in file order.
func matricesOf(s span, q *QuantizedWeights) []Q8 {
	if s.perLayer {
		return *q.layered(s.t)
	}
	return []Q8{*q.single(s.t)}
}

// checkQ8Lengths reports the first matrix of q whose layer count, value
// count or scale count does not match the quantized spans.
func checkQ8Lengths(spans []span, gs GroupSizes, q *QuantizedWeights) error {
	for _, s := range spans {
		if !s.quantized() {
			continue
		}
		ms := matricesOf(s, q)
		if len(ms) != int(s.count) {
			return fmt.Errorf("weights %s has %d layers, config wants %d", s.desc, len(ms), s.count)
		}
		values, groupSize := int(s.elems()), gs.of(s.t)
		for l, m := range ms {
			if len(m.Q) != values || len(m.S) != values/groupSize {
				return fmt.Errorf("weights %s instance %d has %d values and %d scales, config and group_size = %d want %d and %d",
					s.desc, l, len(m.Q), len(m.S), groupSize, values, values/groupSize)
			}
		}
	}
	return nil
}
