package ops

import (
	"slices"
	"testing"

	"github.com/retrollama/retrollama/kernels"
)

func TestParseDTypes(t *testing.T) {
	tests := []struct {
		in   string
		want []kernels.DType
		err  string
	}{
		{"all", []kernels.DType{kernels.F32, kernels.Q8_0}, ""},
		{"f32", []kernels.DType{kernels.F32}, ""},
		{"q8_0", []kernels.DType{kernels.Q8_0}, ""},
		{"q8", []kernels.DType{kernels.Q8_0}, ""},
		{"f16", nil, `"f16": want f32, q8_0 or all`},
	}
	for _, tt := range tests {
		got, err := ParseDTypes(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("ParseDTypes(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ParseDTypes(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}
