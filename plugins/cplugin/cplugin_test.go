//go:build cgo

package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/retrollama/retrollama/internal/kernels/unrolled"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/conformance"
	"github.com/retrollama/retrollama/kernels/mathf"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// TestConformance runs the conformance suite on the provider in process.
func TestConformance(t *testing.T) {
	conformance.Test(t, "cplugin", func() kernels.Provider { return newProvider() })
}

// initPair returns the C provider and the scalar reference, both
// initialised with s and closed at the end of the test.
func initPair(t *testing.T, s kernels.Shape) (c, ref kernels.Provider) {
	t.Helper()
	c, ref = newProvider(), scalar.New()
	for _, p := range []kernels.Provider{c, ref} {
		if err := p.Init(s); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
	}
	return c, ref
}

// preparePair prepares tensor for the C provider and for the reference.
func preparePair(t *testing.T, c, ref kernels.Provider, tensor kernels.Tensor) (wc, wr kernels.Weight) {
	t.Helper()
	wc, err := c.Prepare(tensor)
	if err != nil {
		t.Fatal(err)
	}
	wr, err = ref.Prepare(tensor)
	if err != nil {
		t.Fatal(err)
	}
	return wc, wr
}

// sameBits fails the test at the first value of got whose bits are not
// want's.
func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: [%d] = %g (%#x), reference %g (%#x)", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// TestBitExact: every op gives the scalar reference's bits exactly (the
// conformance suite allows a tolerance, so it would not notice a fused
// multiply-add or a reassociated sum): the fp32 MatMul for 1 to 37 rows
// (around its blocks of 8 and 16) and column counts around its blocks of
// 8, and the other ops on shapes with odd head sizes, grouped-query
// attention, Q8_0 group sizes from 1 to 64 and row counts around the
// four-row blocks, and RoPE positions past the table.
func TestBitExact(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	rnd := func(n int, scale float32) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = (r.Float32()*2 - 1) * scale
		}
		return v
	}
	t.Run("matmul_f32", func(t *testing.T) {
		c, ref := initPair(t, kernels.Shape{Dim: 8, HiddenDim: 8, Heads: 1, KVHeads: 1, SeqLen: 1})
		for rows := 1; rows <= 37; rows++ {
			for _, cols := range []int{1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 64, 288, 289} {
				wc, wr := preparePair(t, c, ref, kernels.Tensor{Name: "w", DType: kernels.F32, Rows: rows, Cols: cols, F32: rnd(rows*cols, 1)})
				x := rnd(cols, 2)
				got, want := make([]float32, rows), make([]float32, rows)
				if err := c.MatMul(got, wc, x); err != nil {
					t.Fatal(err)
				}
				if err := ref.MatMul(want, wr, x); err != nil {
					t.Fatal(err)
				}
				sameBits(t, fmt.Sprintf("f32 matmul %dx%d", rows, cols), got, want)
			}
		}
	})
	shapes := []kernels.Shape{
		{Dim: 6, HiddenDim: 10, Heads: 2, KVHeads: 2, SeqLen: 5, VocabSize: 7},       // head size 3: RoPE pairs straddle heads
		{Dim: 64, HiddenDim: 172, Heads: 8, KVHeads: 4, SeqLen: 40, VocabSize: 100},  // grouped-query
		{Dim: 288, HiddenDim: 768, Heads: 6, KVHeads: 6, SeqLen: 70, VocabSize: 515}, // stories15M, shorter
		{Dim: 96, HiddenDim: 100, Heads: 1, KVHeads: 1, SeqLen: 9, VocabSize: 33},    // one wide head
	}
	for _, s := range shapes {
		t.Run(fmt.Sprintf("dim=%d,heads=%d:%d", s.Dim, s.Heads, s.KVHeads), func(t *testing.T) {
			c, ref := initPair(t, s)
			prepare := func(tensor kernels.Tensor) (kernels.Weight, kernels.Weight) {
				t.Helper()
				return preparePair(t, c, ref, tensor)
			}

			// Q8_0 MatMul.
			for _, gs := range []int{1, 2, 3, 4, 12, 32, 64} {
				for _, rows := range []int{1, 3, 4, 5, 9} {
					cols := gs * (1 + r.IntN(6))
					w := rnd(rows*cols, 1)
					q, scales := make([]int8, len(w)), make([]float32, len(w)/gs)
					scalar.Quantize(q, scales, w, gs)
					wc, wr := prepare(kernels.Tensor{Name: "q8", DType: kernels.Q8_0, Rows: rows, Cols: cols, Q8: q, Scales: scales, GroupSize: gs})
					x := rnd(cols, 3)
					clear(x[:gs]) // an all-zero group: scale 0, 0/0 quantized to 0
					got, want := make([]float32, rows), make([]float32, rows)
					if err := c.MatMul(got, wc, x); err != nil {
						t.Fatal(err)
					}
					if err := ref.MatMul(want, wr, x); err != nil {
						t.Fatal(err)
					}
					sameBits(t, fmt.Sprintf("q8_0 matmul %dx%d gs=%d", rows, cols, gs), got, want)
				}
			}

			// RMSNorm, out of place and in place.
			wc, wr := prepare(kernels.Tensor{Name: "norm", DType: kernels.F32, Rows: 1, Cols: s.Dim, F32: rnd(s.Dim, 2)})
			x := rnd(s.Dim, 5)
			got, want := make([]float32, s.Dim), make([]float32, s.Dim)
			if err := c.RMSNorm(got, x, wc); err != nil {
				t.Fatal(err)
			}
			if err := ref.RMSNorm(want, x, wr); err != nil {
				t.Fatal(err)
			}
			sameBits(t, "rmsnorm", got, want)
			xc := append([]float32(nil), x...)
			if err := c.RMSNorm(xc, xc, wc); err != nil {
				t.Fatal(err)
			}
			sameBits(t, "rmsnorm in place", xc, want)

			// RoPE, in the table and outside it.
			for _, pos := range []int{0, 1, s.SeqLen / 2, s.SeqLen - 1, s.SeqLen, 3*s.SeqLen + 7, -3} {
				q, k := rnd(s.Dim, 4), rnd(s.KVDim(), 4)
				qr, kr := append([]float32(nil), q...), append([]float32(nil), k...)
				if err := c.RoPE(q, k, pos); err != nil {
					t.Fatal(err)
				}
				if err := ref.RoPE(qr, kr, pos); err != nil {
					t.Fatal(err)
				}
				sameBits(t, fmt.Sprintf("rope q pos=%d", pos), q, qr)
				sameBits(t, fmt.Sprintf("rope k pos=%d", pos), k, kr)
			}

			// Attention.
			kvDim := s.KVDim()
			keys, values := rnd(s.SeqLen*kvDim, 3), rnd(s.SeqLen*kvDim, 3)
			for _, pos := range []int{0, 1, 2, 3, 4, 5, s.SeqLen - 1} {
				if pos >= s.SeqLen {
					continue
				}
				q := rnd(s.Dim, 3)
				if err := c.Attention(got, q, keys, values, pos); err != nil {
					t.Fatal(err)
				}
				if err := ref.Attention(want, q, keys, values, pos); err != nil {
					t.Fatal(err)
				}
				sameBits(t, fmt.Sprintf("attention pos=%d", pos), got, want)
			}

			// SwiGLU and Softmax, including logits near 90 (exp overflows
			// without the max subtracted) and exp's special cases.
			gate, up := rnd(s.HiddenDim, 12), rnd(s.HiddenDim, 2)
			gr := append([]float32(nil), gate...)
			gate[0], gr[0] = 95, 95
			gate[1], gr[1] = -110, -110
			if err := c.SwiGLU(gate, up); err != nil {
				t.Fatal(err)
			}
			if err := ref.SwiGLU(gr, up); err != nil {
				t.Fatal(err)
			}
			sameBits(t, "swiglu", gate, gr)
			for _, scale := range []float32{1, 30} {
				l := rnd(s.VocabSize, scale)
				for i := range l {
					l[i] += 90 * (scale / 30)
				}
				lr := append([]float32(nil), l...)
				if err := c.Softmax(l); err != nil {
					t.Fatal(err)
				}
				if err := ref.Softmax(lr); err != nil {
					t.Fatal(err)
				}
				sameBits(t, fmt.Sprintf("softmax scale=%g", scale), l, lr)
			}
		})
	}
}

// TestExp: kernels.c's expf gives kernels/mathf.Exp's bits on special
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
