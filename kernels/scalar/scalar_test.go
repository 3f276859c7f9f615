package scalar

import (
	"errors"
	"math"
	"testing"

	"github.com/retrollama/retrollama/kernels"
)

func newProvider(t *testing.T, s kernels.Shape) *Provider {
	t.Helper()
	p := New()
	if err := p.Init(s); err != nil {
		t.Fatal(err)
	}
	return p
}

func prepare(t *testing.T, p *Provider, rows, cols int, data ...float32) kernels.Weight {
	t.Helper()
	w, err := p.Prepare(kernels.Tensor{Name: "w", DType: kernels.F32, Rows: rows, Cols: cols, F32: data})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func near(a, b float32) bool { return math.Abs(float64(a-b)) <= 1e-6*math.Max(1, math.Abs(float64(b))) }

func assertNear(t *testing.T, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("len %d, want %d", len(got), len(want))
	}
	for i := range got {
		if !near(got[i], want[i]) {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

var shape = kernels.Shape{Dim: 4, HiddenDim: 6, Heads: 2, KVHeads: 1, SeqLen: 3, VocabSize: 5}

func TestMatMul(t *testing.T) {
	p := newProvider(t, shape)
	w := prepare(t, p, 2, 3, 1, 2, 3, 4, 5, 6)
	out := make([]float32, 2)
	if err := p.MatMul(out, w, []float32{1, 0, -1}); err != nil {
		t.Fatal(err)
	}
	assertNear(t, out, []float32{-2, -2})
}

func TestRMSNorm(t *testing.T) {
	p := newProvider(t, shape)
	w := prepare(t, p, 1, 4, 1, 2, 1, 1)
	x := []float32{1, 1, 1, 1}
	// mean(x²) = 1, so x / sqrt(1 + 1e-5) scaled by w; in place.
	if err := p.RMSNorm(x, x, w); err != nil {
		t.Fatal(err)
	}
	s := float32(1 / math.Sqrt(1+1e-5))
	assertNear(t, x, []float32{s, 2 * s, s, s})
}

func TestSoftmax(t *testing.T) {
	p := newProvider(t, shape)
	x := []float32{1, 2, 3}
	if err := p.Softmax(x); err != nil {
		t.Fatal(err)
	}
	e1, e2, e3 := math.Exp(-2), math.Exp(-1), 1.0
	sum := e1 + e2 + e3
	assertNear(t, x, []float32{float32(e1 / sum), float32(e2 / sum), float32(e3 / sum)})
	if err := p.Softmax(nil); err != nil {
		t.Fatal(err)
	}
}

func TestSwiGLU(t *testing.T) {
	p := newProvider(t, shape)
	gate, up := []float32{0, 1, -2}, []float32{5, 2, 3}
	if err := p.SwiGLU(gate, up); err != nil {
		t.Fatal(err)
	}
	silu := func(v float64) float32 { return float32(v / (1 + math.Exp(-v))) }
	assertNear(t, gate, []float32{0, 2 * silu(1), 3 * silu(-2)})
}

func TestRoPE(t *testing.T) {
	p := newProvider(t, shape) // head size 2, kv dim 2
	q, k := []float32{1, 0, 0, 1}, []float32{1, 0}
	if err := p.RoPE(q, k, 0); err != nil {
		t.Fatal(err)
	}
	assertNear(t, q, []float32{1, 0, 0, 1}) // position 0 is the identity
	if err := p.RoPE(q, k, 1); err != nil {
		t.Fatal(err)
	}
	// head size 2: every pair has frequency 1, so position 1 turns by 1 rad.
	c, s := float32(math.Cos(1)), float32(math.Sin(1))
	assertNear(t, q, []float32{c, s, -s, c})
	assertNear(t, k, []float32{c, s})
}

func TestAttentionGroupedQuery(t *testing.T) {
	p := newProvider(t, shape) // 2 query heads share 1 KV head of size 2
	keys := []float32{1, 0, 0, 1, 0, 0}
	values := []float32{10, 20, 30, 40, 0, 0}
	q := []float32{100, 0, 0, 100} // head 0 wants key 0, head 1 key 1
	out := make([]float32, 4)
	if err := p.Attention(out, q, keys, values, 1); err != nil {
		t.Fatal(err)
	}
	assertNear(t, out, []float32{10, 20, 30, 40})
	// At position 0 only row 0 is visible.
	if err := p.Attention(out, q, keys, values, 0); err != nil {
		t.Fatal(err)
	}
	assertNear(t, out, []float32{10, 20, 10, 20})
}

func TestRejectsForeignWeight(t *testing.T) {
	p := newProvider(t, shape)
	if err := p.MatMul(make([]float32, 1), "not a weight", []float32{1}); !errors.Is(err, kernels.ErrForeignWeight) {
		t.Errorf("MatMul: %v, want ErrForeignWeight", err)
	}
	if err := p.RMSNorm(make([]float32, 1), []float32{1}, nil); !errors.Is(err, kernels.ErrForeignWeight) {
		t.Errorf("RMSNorm: %v, want ErrForeignWeight", err)
	}
	if _, err := p.Prepare(kernels.Tensor{Name: "bad", DType: kernels.F32, Rows: 2, Cols: 2, F32: []float32{1}}); err == nil {
		t.Error("Prepare accepted 1 value for 2×2")
	}
}
