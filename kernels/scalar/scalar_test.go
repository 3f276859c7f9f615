package scalar

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/kernels/runq"
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

func TestSupports(t *testing.T) {
	tests := []struct {
		op    kernels.Op
		dtype kernels.DType
		ok    bool
	}{
		{kernels.MatMul, kernels.F32, true},
		{kernels.MatMul, kernels.Q8_0, true},
		{kernels.RMSNorm, kernels.F32, true},
		{kernels.RMSNorm, kernels.Q8_0, false},
		{kernels.Softmax, kernels.F32, true},
		{kernels.MatMul, kernels.DType(99), false},
	}
	p := New()
	for _, tc := range tests {
		got := p.Supports(kernels.Query{Op: tc.op, DType: tc.dtype, Model: shape})
		if got.OK != tc.ok || (got.OK == (got.Reason != "")) {
			t.Errorf("%s %v: %+v, want ok=%v with a reason when declined", tc.op, tc.dtype, got, tc.ok)
		}
	}
}

func TestQuantize(t *testing.T) {
	tests := []struct {
		name      string
		x         []float32
		groupSize int
		q         []int8
		scales    []float32
	}{
		// Scale 1 makes x/scale exact: halves round away from zero.
		{"halves", []float32{127, -0.5, 2.5, -2.5}, 4, []int8{127, -1, 3, -3}, []float32{1}},
		{"negative max", []float32{-127, 63.5}, 2, []int8{-127, 64}, []float32{1}},
		{"all-zero group", []float32{0, 0, 254, -1}, 2, []int8{0, 0, 127, -1}, []float32{0, 2}},
		{"group size 1", []float32{3, -0.25, 0}, 1, []int8{127, -127, 0}, []float32{3.0 / 127, 0.25 / 127, 0}},
	}
	for _, tc := range tests {
		q, s := make([]int8, len(tc.x)), make([]float32, len(tc.x)/tc.groupSize)
		Quantize(q, s, tc.x, tc.groupSize)
		if !slices.Equal(q, tc.q) || !slices.Equal(s, tc.scales) {
			t.Errorf("%s: q %v scales %v, want %v %v", tc.name, q, s, tc.q, tc.scales)
		}
	}
}

func TestRound8(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	tests := []struct {
		v    float32
		want int8
	}{
		{0.5, 1}, {-0.5, -1}, {1.49, 1}, {126.5, 127}, {-127, -127},
		{nan, 0}, {inf, 0}, {-inf, 0}, // what x86-64 GCC's conversion gives
		{190, -66}, // only from a subnormal scale: C keeps the low byte
	}
	for _, tc := range tests {
		if got := round8(tc.v); got != tc.want {
			t.Errorf("round8(%v) = %d, want %d", tc.v, got, tc.want)
		}
	}
}

// randomQ8 returns rows×cols weights quantized in groups of gs, and x,
// from r; zeroGroup blanks the first group of x and of the last row.
func randomQ8(r *rand.Rand, rows, cols, gs int, zeroGroup bool) (kernels.Tensor, []float32) {
	w, x := make([]float32, rows*cols), make([]float32, cols)
	for i := range w {
		w[i] = float32(r.NormFloat64())
	}
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	if zeroGroup {
		clear(x[:gs])
		clear(w[(rows-1)*cols : (rows-1)*cols+gs])
	}
	q, s := runq.Quantize(w, gs)
	return kernels.Tensor{Name: "wq8", DType: kernels.Q8_0, Rows: rows, Cols: cols, Q8: q, Scales: s, GroupSize: gs}, x
}

func TestMatMulQ8MatchesRunq(t *testing.T) {
	type shape struct{ rows, cols, gs int }
	var shapes []shape
	for _, gs := range []int{1, 2, 4, 32, 64} {
		for rows := 1; rows <= 5; rows++ {
			for _, k := range []int{1, 3} {
				shapes = append(shapes, shape{rows, gs * k, gs})
			}
			shapes = append(shapes, shape{rows, 768, gs})
		}
	}
	shapes = append(shapes, shape{64, 172, 4}, shape{172, 64, 4}, shape{288, 288, 32}, shape{768, 288, 32}, shape{288, 768, 32}, shape{64, 768, 64})
	r := rand.New(rand.NewPCG(1, 2))
	p := newProvider(t, shape15M)
	for _, sh := range shapes {
		for _, zero := range []bool{false, true} {
			tensor, x := randomQ8(r, sh.rows, sh.cols, sh.gs, zero)
			w, err := p.Prepare(tensor)
			if err != nil {
				t.Fatal(err)
			}
			want, got := make([]float32, sh.rows), make([]float32, sh.rows)
			xq, xs := runq.Quantize(x, sh.gs)
			runq.MatMul(want, xq, xs, tensor.Q8, tensor.Scales, sh.cols, sh.rows, sh.gs)
			if err := p.MatMul(got, w, x); err != nil {
				t.Fatal(err)
			}
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%+v zero group %v: out[%d] = %v, runq.c gives %v", sh, zero, i, got[i], want[i])
				}
			}
		}
	}
}

// TestMatMulQ8ByHand checks the semantics on numbers worked out by hand:
// x = [-127, 0.5 | 0, 0] quantizes to [-127, 1 | 0, 0] with scales [1, 0].
func TestMatMulQ8ByHand(t *testing.T) {
	p := newProvider(t, shape)
	w, err := p.Prepare(kernels.Tensor{Name: "w", DType: kernels.Q8_0, Rows: 2, Cols: 4, GroupSize: 2,
		Q8: []int8{1, 2, 3, 4, -1, 100, 7, 7}, Scales: []float32{0.5, 9, 0.25, 9}})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, 2)
	if err := p.MatMul(out, w, []float32{-127, 0.5, 0, 0}); err != nil {
		t.Fatal(err)
	}
	// row 0: (-127 + 2)·0.5·1 = -62.5; row 1: (127 + 100)·0.25·1 = 56.75.
	if !slices.Equal(out, []float32{-62.5, 56.75}) {
		t.Errorf("got %v, want [-62.5 56.75]", out)
	}
}

// shape15M is the shape of stories15M.
var shape15M = kernels.Shape{Dim: 288, HiddenDim: 768, Heads: 6, KVHeads: 6, SeqLen: 256, VocabSize: 32000}

func TestPrepareQ8Rejects(t *testing.T) {
	ok := kernels.Tensor{Name: "ok", DType: kernels.Q8_0, Rows: 2, Cols: 4, GroupSize: 2, Q8: make([]int8, 8), Scales: make([]float32, 4)}
	tests := []struct {
		name   string
		change func(*kernels.Tensor)
		want   string
	}{
		{"short values", func(t *kernels.Tensor) { t.Q8 = t.Q8[:7] }, "7 q8_0 values"},
		{"short scales", func(t *kernels.Tensor) { t.Scales = t.Scales[:3] }, "3 q8_0 scales"},
		{"zero group", func(t *kernels.Tensor) { t.GroupSize = 0 }, "group size 0"},
		{"group not dividing", func(t *kernels.Tensor) { t.GroupSize = 3 }, "group size 3"},
		{"negative rows", func(t *kernels.Tensor) { t.Rows = -2 }, "-2×4"},
	}
	p := newProvider(t, shape)
	if _, err := p.Prepare(ok); err != nil {
		t.Fatalf("valid tensor: %v", err)
	}
	for _, tc := range tests {
		tt := ok
		tt.Name = tc.name
		tc.change(&tt)
		if _, err := p.Prepare(tt); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.name) {
			t.Errorf("%s: %v, want an error naming the tensor and %q", tc.name, err, tc.want)
		}
	}
	w, err := p.Prepare(ok)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.RMSNorm(make([]float32, 4), make([]float32, 4), w); err == nil || errors.Is(err, kernels.ErrForeignWeight) {
		t.Errorf("RMSNorm with a Q8_0 weight: %v, want a dtype error", err)
	}
}

// TestMatMulQ8NoAllocation: the quantization buffers come from Init, or
// from Prepare for a matrix wider than the model's activations.
func TestMatMulQ8NoAllocation(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	p := newProvider(t, shape15M)
	for _, cols := range []int{288, 768, 1024} { // 1024 > HiddenDim: grown at Prepare
		tensor, x := randomQ8(r, 3, cols, 32, false)
		w, err := p.Prepare(tensor)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]float32, 3)
		if n := testing.AllocsPerRun(20, func() { err = p.MatMul(out, w, x) }); n != 0 || err != nil {
			t.Errorf("%d columns: %v allocations per call, error %v", cols, n, err)
		}
	}
}
