package checkpoint

import (
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"github.com/retrollama/retrollama/kernels"
)

// openWritten writes data to a file called name in a temporary directory
// and opens it (the mapped path), returning the checkpoint and the path.
func openWritten(t *testing.T, name string, data []byte) (*Checkpoint, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	ck, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return ck, path
}

// TestRoundTrip writes synthetic models in both formats, shared and not,
// and reads them back through Parse (aligned views and unaligned copies)
// and Open (the mapped path): weights must be bitwise identical.
func TestRoundTrip(t *testing.T) {
	small := Config{Dim: 8, HiddenDim: 12, Layers: 1, Heads: 2, KVHeads: 1, VocabSize: 5, SeqLen: 3}
	tests := []struct {
		name   string
		cfg    Config
		format Format
		shared bool
	}{
		{"legacy gqa unshared", tinyGQA, FormatLegacy, false},
		{"legacy gqa shared", tinyGQA, FormatLegacy, true},
		{"v1 gqa unshared", tinyGQA, FormatV1, false},
		{"v1 gqa shared", tinyGQA, FormatV1, true},
		{"legacy small unshared", small, FormatLegacy, false},
		{"v1 small shared", small, FormatV1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := synth(t, tt.cfg, tt.shared)
			data := encode(t, tt.format, src)
			check := func(t *testing.T, ck *Checkpoint, name string) {
				t.Helper()
				if ck.Path != name || ck.Format != tt.format || ck.Config != tt.cfg || ck.SharedClassifier != tt.shared {
					t.Fatalf("got path %q format %v config %v shared %v", ck.Path, ck.Format, ck.Config, ck.SharedClassifier)
				}
				checkShape(t, tt.cfg, tt.shared, &ck.Weights)
				sameWeights(t, &src.Weights, &ck.Weights)
			}

			t.Run("Parse aligned view", func(t *testing.T) {
				ck, err := Parse("rt.bin", data)
				if err != nil {
					t.Fatal(err)
				}
				check(t, ck, "rt.bin")
				if littleEndianHost() {
					first := unsafe.Pointer(&ck.Weights.RMSFinal.F32[0])
					inData := uintptr(first) >= uintptr(unsafe.Pointer(&data[0])) &&
						uintptr(first) < uintptr(unsafe.Pointer(&data[0]))+uintptr(len(data))
					if !inData {
						t.Error("aligned little-endian Parse copied the weights instead of viewing data")
					}
				}
			})
			t.Run("Parse unaligned copy", func(t *testing.T) {
				buf := make([]byte, len(data)+1)
				odd := buf[1:]
				copy(odd, data)
				ck, err := Parse("odd.bin", odd)
				if err != nil {
					t.Fatal(err)
				}
				check(t, ck, "odd.bin")
				odd[len(odd)-1] ^= 0xff // must not show through a copy
				sameWeights(t, &src.Weights, &ck.Weights)
			})
			t.Run("Open", func(t *testing.T) {
				ck, path := openWritten(t, "rt.bin", data)
				check(t, ck, path)
				for i := range 2 {
					if err := ck.Close(); err != nil {
						t.Fatalf("Close #%d: %v", i+1, err)
					}
				}
			})
		})
	}
}

// TestWriteRejects checks that Write refuses inconsistent input instead of
// producing a file Parse would reject.
func TestWriteRejects(t *testing.T) {
	ok := synth(t, tinyGQA, false)
	shortLayer := ok.Weights
	wk := ok.Weights.WK[0]
	wk.F32 = wk.F32[:3]
	shortLayer.WK = append([]kernels.Tensor{wk}, ok.Weights.WK[1:]...)
	missingLayer := ok.Weights
	missingLayer.W2 = ok.Weights.W2[:1]
	noClassifier := ok.Weights
	noClassifier.Classifier = kernels.Tensor{DType: kernels.F32}
	bad := tinyGQA
	bad.KVHeads = 3
	tests := []struct {
		name   string
		format Format
		cfg    Config
		shared bool
		w      *Weights
		want   string
	}{
		{"unknown format", Format(7), tinyGQA, false, &ok.Weights, "Format(7)"},
		{"invalid config", FormatV1, bad, false, &ok.Weights, "n_kv_heads"},
		{"nil weights", FormatV1, tinyGQA, false, nil, "nil weights"},
		{"short tensor", FormatLegacy, tinyGQA, false, &shortLayer, "wk"},
		{"missing layer", FormatV1, tinyGQA, false, &missingLayer, "w2"},
		{"missing classifier", FormatV1, tinyGQA, false, &noClassifier, "classifier"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sink countWriter
			err := Write(&sink, tt.format, tt.cfg, tt.shared, tt.w)
			if err == nil || !contains(err.Error(), tt.want) {
				t.Fatalf("Write error %v, want one mentioning %q", err, tt.want)
			}
			if sink != 0 {
				t.Errorf("Write wrote %d bytes before failing", sink)
			}
		})
	}
}

// countWriter counts the bytes written to it.
type countWriter int

// Write counts p.
func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }
