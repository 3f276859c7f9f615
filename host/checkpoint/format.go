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
)

// magic starts every versioned llama2.c header ("ak42" read little-endian).
const magic = 0x616b3432

// Header sizes in bytes; both are multiples of 4, so mapped weights are
// aligned for float32 access.
const (
	legacyHeaderSize = 7 * 4
	v1HeaderSize     = 256
)

// String names the format for messages and logs.
func (f Format) String() string {
	switch f {
	case FormatLegacy:
		return "legacy"
	case FormatV1:
		return "v1"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// headerSize is the size in bytes of the format's header.
func (f Format) headerSize() int {
	if f == FormatV1 {
		return v1HeaderSize
	}
	return legacyHeaderSize
}
