package checkpoint

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

// TestConfigDerived checks HeadSize and KVDim, including GQA.
func TestConfigDerived(t *testing.T) {
	tests := []struct {
		cfg         Config
		head, kvDim int
	}{
		{Config{Dim: 64, HiddenDim: 172, Layers: 5, Heads: 8, KVHeads: 4, VocabSize: 512, SeqLen: 512}, 8, 32},
		{Config{Dim: 288, HiddenDim: 768, Layers: 6, Heads: 6, KVHeads: 6, VocabSize: 32000, SeqLen: 256}, 48, 288},
		{Config{Dim: 4096, HiddenDim: 11008, Layers: 32, Heads: 32, KVHeads: 8, VocabSize: 32000, SeqLen: 4096}, 128, 1024},
	}
	for _, tt := range tests {
		if got := tt.cfg.HeadSize(); got != tt.head {
			t.Errorf("%v: HeadSize() = %d, want %d", tt.cfg, got, tt.head)
		}
		if got := tt.cfg.KVDim(); got != tt.kvDim {
			t.Errorf("%v: KVDim() = %d, want %d", tt.cfg, got, tt.kvDim)
		}
	}
}

// TestConfigValidate checks the shape rules independently of any file.
func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string // empty: valid
	}{
		{"stories260K", Config{Dim: 64, HiddenDim: 172, Layers: 5, Heads: 8, KVHeads: 4, VocabSize: 512, SeqLen: 512}, ""},
		{"llama2 7B shape", Config{Dim: 4096, HiddenDim: 11008, Layers: 32, Heads: 32, KVHeads: 32, VocabSize: 32000, SeqLen: 4096}, ""},
		{"kv_heads zero", Config{Dim: 64, HiddenDim: 172, Layers: 5, Heads: 8, KVHeads: 0, VocabSize: 512, SeqLen: 512}, "n_kv_heads = 0 must be positive"},
		{"heads not dividing dim", Config{Dim: 64, HiddenDim: 172, Layers: 5, Heads: 7, KVHeads: 7, VocabSize: 512, SeqLen: 512}, "dim = 64 is not a multiple of n_heads = 7"},
		{"kv_heads not dividing heads", Config{Dim: 64, HiddenDim: 172, Layers: 5, Heads: 8, KVHeads: 3, VocabSize: 512, SeqLen: 512}, "n_kv_heads = 3 does not divide n_heads = 8"},
		{"odd head size", Config{Dim: 24, HiddenDim: 8, Layers: 1, Heads: 8, KVHeads: 8, VocabSize: 4, SeqLen: 4}, "head size dim/n_heads = 3"},
		{"absurd", Config{Dim: 1 << 30, HiddenDim: 1 << 30, Layers: 1 << 30, Heads: 1 << 29, KVHeads: 1 << 29, VocabSize: 1 << 30, SeqLen: 1 << 30}, "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "header field") {
				t.Fatalf("Validate() = %v, want an error about a header field mentioning %q", err, tt.want)
			}
		})
	}
}

// TestConfigAboveInt32 checks that fields the header's int32 cannot hold
// are rejected (only possible where int is 64-bit).
func TestConfigAboveInt32(t *testing.T) {
	if strconv.IntSize == 32 {
		t.Skip("int cannot exceed int32 on this platform")
	}
	big := int64(math.MaxInt32) + 1
	cfg := Config{Dim: 64, HiddenDim: int(big), Layers: 1, Heads: 8, KVHeads: 8, VocabSize: 1, SeqLen: 1}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "hidden_dim = 2147483648 does not fit") {
		t.Fatalf("Validate() = %v, want hidden_dim rejected as above int32", err)
	}
}

// TestFormatString checks the format names.
func TestFormatString(t *testing.T) {
	for f, want := range map[Format]string{FormatLegacy: "legacy", FormatV1: "v1", FormatQ8: "q8_0", Format(9): "Format(9)"} {
		if got := f.String(); got != want {
			t.Errorf("Format(%d).String() = %q, want %q", int(f), got, want)
		}
	}
}
