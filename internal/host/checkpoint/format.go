package checkpoint

import "fmt"

// Format identifies a checkpoint's on-disk layout. Its value is llama2.c's
// version number, so the zero value is the legacy layout.
type Format int

const (
	// FormatLegacy is llama2.c's original (version 0) layout: a 7×int32
	// header, a negative vocab_size marking an unshared classifier, and
	// RoPE frequency tables between the weights and the classifier.
	FormatLegacy Format = 0
	// FormatV1 is export.py's version 1 layout: a 256-byte header that
	// starts with magic 0x616b3432, version 1 and a shared-classifier
	// byte, and no frequency tables.
	FormatV1 Format = 1
	// FormatQ8 is export.py's version 2 layout, the Q8_0 checkpoints
	// llama2.c's runq.c reads: the version 1 header plus an int32
	// group_size at byte 37, the RMS-norm weights in float32, then every
	// matrix as int8 values followed by one float32 scale per group.
	FormatQ8 Format = 2
	// FormatQ8PerMatrix is retrollama's own version 3 layout (llama2.c
	// does not read it): FormatQ8's, except that the header holds a
	// group size per matrix kind instead of one for the whole file — nine
	// int32s from byte 37, for token_embedding, wq, wk, wv, wo, w1, w2, w3
	// and classifier (equal to token_embedding's when shared) — each
	// dividing that matrix's input width, not both dim and hidden_dim.
	// Every layer's matrix of a kind has that kind's group size. It lets
	// a model whose dim and hidden_dim share only small divisors
	// (stories260K: 64 and 172 share 4) keep large groups (64 for
	// dim-wide inputs, 172 for w2) and so one float scale per row or so
	// instead of one per 4 values (RATIONALE.md, "Q8_0 per matrix").
	FormatQ8PerMatrix Format = 3
)

// Quantized reports whether the format stores its matrices as Q8_0.
func (f Format) Quantized() bool { return f == FormatQ8 || f == FormatQ8PerMatrix }

// magic starts every versioned llama2.c header ("ak42" read little-endian).
const magic = 0x616b3432

// Header sizes in bytes; both are multiples of 4, so mapped weights are
// aligned for float32 access. groupSizeOffset is where a version 2 header
// keeps group_size: right after the shared-classifier byte, unaligned.
const (
	legacyHeaderSize = 7 * 4
	v1HeaderSize     = 256
	groupSizeOffset  = 8 + 7*4 + 1
)

// String names the format for messages and logs.
func (f Format) String() string {
	switch f {
	case FormatLegacy:
		return "legacy"
	case FormatV1:
		return "v1"
	case FormatQ8:
		return "q8_0"
	case FormatQ8PerMatrix:
		return "q8_0 per matrix"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// headerSize is the size in bytes of the format's header.
func (f Format) headerSize() int {
	if f == FormatV1 || f.Quantized() {
		return v1HeaderSize
	}
	return legacyHeaderSize
}
