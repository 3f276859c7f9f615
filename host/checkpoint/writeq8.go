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
	if rms == nil || q == nil {
		return errors.New("write checkpoint: nil weights")
	}
	spans := layout(cfg, FormatQ8, shared)
	if _, err := weightBytes(spans, groupSize); err != nil {
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
	if err := checkQ8Lengths(spans, groupSize, q); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	e := newEncoder(w)
	if err := e.bytes(encodeHeader(FormatQ8, cfg, shared, groupSize)); err != nil {
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
func checkQ8Lengths(spans []span, groupSize int, q *QuantizedWeights) error {
	for _, s := range spans {
		if !s.quantized() {
			continue
		}
		ms := matricesOf(s, q)
		if len(ms) != int(s.count) {
			return fmt.Errorf("weights %s has %d layers, config wants %d", s.desc, len(ms), s.count)
		}
		values := int(s.elems())
		for l, m := range ms {
			if len(m.Q) != values || len(m.S) != values/groupSize {
				return fmt.Errorf("weights %s instance %d has %d values and %d scales, config and group_size = %d want %d and %d",
					s.desc, l, len(m.Q), len(m.S), groupSize, values, values/groupSize)
			}
		}
	}
	return nil
}
