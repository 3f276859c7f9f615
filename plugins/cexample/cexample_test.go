//go:build cgo

package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/retrollama/retrollama/internal/mathf"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/conformance"
	"github.com/retrollama/retrollama/kernels/unrolled"
)

// TestConformance runs the conformance suite on the provider in process.
func TestConformance(t *testing.T) {
	conformance.Test(t, "cexample", func() kernels.Provider { return newProvider() })
}

// TestExp: kernels.c's expf gives internal/mathf.Exp's bits on special
// values, on every float32 of softmax's and SwiGLU's range [-104, 89] at
// a stride, and on random bit patterns.
func TestExp(t *testing.T) {
	check := func(x float32) {
		t.Helper()
		got, want := expf(x), mathf.Exp(x)
		if math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
			t.Fatalf("expf(%g) = %g (%#x), want %g (%#x)", x, got, math.Float32bits(got), want, math.Float32bits(want))
		}
	}
	inf := float32(math.Inf(1))
	for _, x := range []float32{0, float32(math.Copysign(0, -1)), 1, -1, 88, 88.7, 89, -87, -103, -104, -200,
		inf, -inf, float32(math.NaN()), math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32} {
		check(x)
	}
	for b := math.Float32bits(-104); b > math.Float32bits(-0x1p-30); b -= 97 { // negative: bits fall as x rises
		check(math.Float32frombits(b))
	}
	for b := math.Float32bits(0x1p-30); b < math.Float32bits(89); b += 97 {
		check(math.Float32frombits(b))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 1 << 20 {
		check(math.Float32frombits(r.Uint32()))
	}
}

// TestDescribe: the build string names the compiler and says one thread.
func TestDescribe(t *testing.T) {
	p := newProvider()
	p.threads = 4
	t.Log(p.Describe())
	if p.build == "" {
		t.Error("no build information from kernels.c")
	}
}

// TestBadSizes: calls with sizes that do not fit are errors, never
// crashes, and leave in-place operands alone.
func TestBadSizes(t *testing.T) {
	p := newProvider()
	s := kernels.Shape{Dim: 8, HiddenDim: 16, Heads: 2, KVHeads: 2, SeqLen: 4, VocabSize: 16}
	if err := p.Init(kernels.Shape{Dim: 8, Heads: 3, KVHeads: 1, SeqLen: 4}); err == nil {
		t.Error("Init accepted 8 dims in 3 heads")
	}
	if err := p.Init(s); err != nil {
		t.Fatal(err)
	}
	w, err := p.Prepare(kernels.Tensor{Name: "w", DType: kernels.F32, Rows: 4, Cols: 8, F32: make([]float32, 32)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Prepare(kernels.Tensor{Name: "bad", DType: kernels.F32, Rows: 4, Cols: 8, F32: make([]float32, 31)}); err == nil {
		t.Error("Prepare accepted 31 values for 4×8")
	}
	if _, err := p.Prepare(kernels.Tensor{Name: "q", DType: kernels.Q8_0, Rows: 1, Cols: 6, Q8: make([]int8, 6), Scales: make([]float32, 1), GroupSize: 4}); err == nil {
		t.Error("Prepare accepted a group size of 4 for 6 columns")
	}
	if err := p.MatMul(make([]float32, 3), w, make([]float32, 8)); err == nil {
		t.Error("MatMul accepted out of 3 for 4 rows")
	}
	if err := p.MatMul(make([]float32, 4), w, make([]float32, 7)); err == nil {
		t.Error("MatMul accepted x of 7 for 8 columns")
	}
	if err := p.MatMul(make([]float32, 4), struct{}{}, make([]float32, 8)); err != kernels.ErrForeignWeight {
		t.Errorf("MatMul of a foreign weight: %v", err)
	}
	if err := p.RMSNorm(make([]float32, 8), make([]float32, 9), w); err == nil {
		t.Error("RMSNorm accepted x longer than out")
	}
	q := []float32{1, 2, 3, 4, 5, 6, 7}
	if err := p.RoPE(q, make([]float32, 6), 1); err == nil || q[0] != 1 || q[1] != 2 {
		t.Errorf("RoPE of 7 values: %v, q = %v", err, q)
	}
	if err := p.Attention(make([]float32, 8), make([]float32, 8), make([]float32, 32), make([]float32, 32), 4); err == nil {
		t.Error("Attention accepted pos = SeqLen")
	}
	if err := p.Attention(make([]float32, 8), make([]float32, 8), make([]float32, 15), make([]float32, 32), 1); err == nil {
		t.Error("Attention accepted 15 key values for pos 1")
	}
	if err := p.SwiGLU(make([]float32, 4), make([]float32, 3)); err == nil {
		t.Error("SwiGLU accepted up shorter than gate")
	}
	if err := p.Close(); err != nil {
		t.Error(err)
	}
}

// BenchmarkMatMul compares the C fp32 MatMul with unroll8 on one thread
// for stories15M's wq (288×288) and classifier (32000×288).
func BenchmarkMatMul(b *testing.B) {
	shape := kernels.Shape{Dim: 288, HiddenDim: 768, Heads: 6, KVHeads: 6, SeqLen: 256, VocabSize: 32000}
	r := rand.New(rand.NewPCG(3, 4))
	for _, m := range []struct{ rows, cols int }{{288, 288}, {32000, 288}} {
		w := make([]float32, m.rows*m.cols)
		for i := range w {
			w[i] = r.Float32()*2 - 1
		}
		x := make([]float32, m.cols)
		for i := range x {
			x[i] = r.Float32()*2 - 1
		}
		out := make([]float32, m.rows)
		for _, pv := range []struct {
			name string
			p    kernels.Provider
		}{{"c", newProvider()}, {"unroll8", unrolled.New(8, 1)}} {
			b.Run(fmt.Sprintf("%dx%d/%s", m.rows, m.cols, pv.name), func(b *testing.B) {
				p := pv.p
				if err := p.Init(shape); err != nil {
					b.Fatal(err)
				}
				defer p.Close()
				h, err := p.Prepare(kernels.Tensor{Name: "w", DType: kernels.F32, Rows: m.rows, Cols: m.cols, F32: w})
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(4 * len(w)))
				for b.Loop() {
					if err := p.MatMul(out, h, x); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
