package unrolled

import (
	"errors"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/kernels/kerneltest"
	"github.com/retrollama/retrollama/kernels"
)

func TestSupports(t *testing.T) {
	tests := []struct {
		width     int
		dtype     kernels.DType
		name      string
		ok        bool
		reasonHas string
	}{
		{4, kernels.F32, "unroll4", true, ""},
		{8, kernels.F32, "unroll8", true, ""},
		{8, kernels.DType(99), "unroll8", false, "dtype"},
		{5, kernels.F32, "unroll5", false, "width 5"},
		{0, kernels.F32, "unroll0", false, "width 0"},
	}
	for _, tc := range tests {
		p := New(tc.width, 1)
		if p.Name() != tc.name {
			t.Errorf("New(%d).Name() = %q, want %q", tc.width, p.Name(), tc.name)
		}
		for _, op := range kernels.AllOps() {
			got := p.Supports(kernels.Query{Op: op, DType: tc.dtype, Model: testShape})
			if got.OK != tc.ok || !strings.Contains(got.Reason, tc.reasonHas) {
				t.Errorf("unroll%d %v %v: %+v, want ok=%v reason ∋ %q", tc.width, op, tc.dtype, got, tc.ok, tc.reasonHas)
			}
		}
	}
}

func TestInitRejects(t *testing.T) {
	tests := []struct {
		name  string
		width int
		shape kernels.Shape
	}{
		{"bad width", 5, testShape},
		{"no heads", 8, kernels.Shape{Dim: 8, SeqLen: 4}},
		{"heads not a multiple of kv heads", 8, kernels.Shape{Dim: 12, Heads: 3, KVHeads: 2, SeqLen: 4}},
		{"dim not a multiple of heads", 8, kernels.Shape{Dim: 10, Heads: 4, KVHeads: 4, SeqLen: 4}},
	}
	for _, tc := range tests {
		p := New(tc.width, 1)
		if err := p.Init(tc.shape); err == nil {
			t.Errorf("%s: Init(%+v) succeeded", tc.name, tc.shape)
		}
		if err := p.Close(); err != nil {
			t.Errorf("%s: Close: %v", tc.name, err)
		}
	}
}

func TestRejectsForeignWeightAndBadTensors(t *testing.T) {
	p := kerneltest.Initialised(t, New(8, 2), testShape)
	if err := p.MatMul(make([]float32, 1), "not a weight", []float32{1}); !errors.Is(err, kernels.ErrForeignWeight) {
		t.Errorf("MatMul: %v, want ErrForeignWeight", err)
	}
	if err := p.RMSNorm(make([]float32, 1), []float32{1}, nil); !errors.Is(err, kernels.ErrForeignWeight) {
		t.Errorf("RMSNorm: %v, want ErrForeignWeight", err)
	}
	bad := []kernels.Tensor{
		{Name: "short", DType: kernels.F32, Rows: 2, Cols: 2, F32: []float32{1}},
		{Name: "dtype", DType: kernels.DType(99), Rows: 1, Cols: 1, F32: []float32{1}},
	}
	for _, tt := range bad {
		if _, err := p.Prepare(tt); err == nil || !strings.Contains(err.Error(), tt.Name) {
			t.Errorf("Prepare(%s): %v, want an error naming the tensor", tt.Name, err)
		}
	}
}

func TestCloseIdempotent(t *testing.T) {
	p := New(4, 3)
	kerneltest.Must(t, p.Init(testShape))
	kerneltest.Must(t, p.Close())
	kerneltest.Must(t, p.Close())
}
