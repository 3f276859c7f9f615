package x87

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/cpuid"
	"github.com/retrollama/retrollama/internal/kernels/kerneltest"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// shapes are the models the provider tests run: tiny, head size 1 and
// 2, grouped-query attention, and stories15M.
var shapes = map[string]kernels.Shape{
	"tiny":        {Dim: 8, HiddenDim: 16, Heads: 2, KVHeads: 2, SeqLen: 8, VocabSize: 16},
	"n=1":         {Dim: 1, HiddenDim: 1, Heads: 1, KVHeads: 1, SeqLen: 1, VocabSize: 1},
	"head size 2": {Dim: 6, HiddenDim: 7, Heads: 3, KVHeads: 1, SeqLen: 5, VocabSize: 3},
	"stories260K": {Dim: 64, HiddenDim: 172, Heads: 8, KVHeads: 4, SeqLen: 512, VocabSize: 512},
	"stories15M":  {Dim: 288, HiddenDim: 768, Heads: 6, KVHeads: 6, SeqLen: 256, VocabSize: 32000},
}

// pair returns the scalar reference and an x87 provider, both Init'ed
// for s and closed when the test ends.
func pair(t testing.TB, s kernels.Shape) (ref *scalar.Provider, got *Provider) {
	t.Helper()
	ref, got = scalar.New(), New()
	kerneltest.Initialised(t, ref, s)
	kerneltest.Initialised(t, got, s)
	return ref, got
}

// TestProviderMatchesScalar checks every op of the provider bit for bit
// against the scalar reference on each shape (the classifier's 32000
// rows only outside -short: scalar's softfloat takes a while in the
// emulated Pentium II).
func TestProviderMatchesScalar(t *testing.T) {
	for name, s := range shapes {
		t.Run(name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(s.Dim), uint64(s.SeqLen)))
			ref, got := pair(t, s)
			kvDim, hs := s.KVDim(), s.HeadSize()

			mats := [][2]int{{s.Dim, s.Dim}, {kvDim, s.Dim}, {s.HiddenDim, s.Dim}, {s.Dim, s.HiddenDim}}
			if !testing.Short() || s.VocabSize < 1000 {
				mats = append(mats, [2]int{s.VocabSize, s.Dim})
			}
			for _, m := range mats {
				data, x := kerneltest.Uniform(r, m[0]*m[1], -0.1, 0.1), kerneltest.Uniform(r, m[1], -2, 2)
				want, out := make([]float32, m[0]), make([]float32, m[0])
				kerneltest.Must(t, ref.MatMul(want, kerneltest.PrepareF32(t, ref, m[0], m[1], data), x))
				kerneltest.Must(t, got.MatMul(out, kerneltest.PrepareF32(t, got, m[0], m[1], data), x))
				kerneltest.AssertIdentical(t, label("MatMul %dx%d", m[0], m[1]), out, want)
			}

			x, w := kerneltest.Uniform(r, s.Dim, -2, 2), kerneltest.Uniform(r, s.Dim, 0.5, 1.5)
			want, out := make([]float32, s.Dim), make([]float32, s.Dim)
			kerneltest.Must(t, ref.RMSNorm(want, x, kerneltest.PrepareF32(t, ref, 1, s.Dim, w)))
			kerneltest.Must(t, got.RMSNorm(out, x, kerneltest.PrepareF32(t, got, 1, s.Dim, w)))
			kerneltest.AssertIdentical(t, "RMSNorm", out, want)

			if hs%2 == 0 {
				// s.SeqLen+3 is past the table: computed at the call.
				for _, pos := range []int{0, 1, s.SeqLen / 2, s.SeqLen - 1, s.SeqLen + 3} {
					q, k := kerneltest.Uniform(r, s.Dim, -2, 2), kerneltest.Uniform(r, kvDim, -2, 2)
					wq, wk := slices.Clone(q), slices.Clone(k)
					kerneltest.Must(t, ref.RoPE(wq, wk, pos))
					kerneltest.Must(t, got.RoPE(q, k, pos))
					kerneltest.AssertIdentical(t, label("RoPE q pos %d", pos), q, wq)
					kerneltest.AssertIdentical(t, label("RoPE k pos %d", pos), k, wk)
				}
			}

			keys, values := kerneltest.Uniform(r, s.SeqLen*kvDim, -2, 2), kerneltest.Uniform(r, s.SeqLen*kvDim, -1, 1)
			for _, pos := range []int{0, 1, s.SeqLen / 2, s.SeqLen - 1} {
				if pos >= s.SeqLen {
					continue
				}
				q := kerneltest.Uniform(r, s.Dim, -2, 2)
				want, out := make([]float32, s.Dim), kerneltest.Uniform(r, s.Dim, -1000, 1000)
				kerneltest.Must(t, ref.Attention(want, q, keys, values, pos))
				kerneltest.Must(t, got.Attention(out, q, keys, values, pos))
				kerneltest.AssertIdentical(t, label("Attention pos %d", pos), out, want)
			}

			gate, up := kerneltest.Uniform(r, s.HiddenDim, -8, 8), kerneltest.Uniform(r, s.HiddenDim, -2, 2)
			wgate := slices.Clone(gate)
			kerneltest.Must(t, ref.SwiGLU(wgate, up))
			kerneltest.Must(t, got.SwiGLU(gate, up))
			kerneltest.AssertIdentical(t, "SwiGLU", gate, wgate)

			for kind, logits := range softmaxInputs(r, s.VocabSize) {
				wl := slices.Clone(logits)
				kerneltest.Must(t, ref.Softmax(wl))
				kerneltest.Must(t, got.Softmax(logits))
				kerneltest.AssertIdentical(t, "Softmax "+kind, logits, wl)
			}
		})
	}
}

func TestSupports(t *testing.T) {
	p := New()
	s := shapes["stories15M"]
	for _, op := range kernels.AllOps() {
		sup := p.Supports(kernels.Query{Op: op, DType: kernels.F32, Model: s})
		if asm && usable != nil {
			if sup.OK {
				t.Errorf("%s: supported on a CPU that cannot run it", op)
			}
			continue
		}
		if !sup.OK {
			t.Errorf("%s f32: %+v, want OK", op, sup)
		}
	}
	if sup := p.Supports(kernels.Query{Op: kernels.MatMul, DType: kernels.Q8_0, Model: s}); sup.OK || !strings.Contains(sup.Reason, "q8_0") {
		t.Errorf("q8_0 matmul: %+v, want declined", sup)
	}
	odd := kernels.Shape{Dim: 7, HiddenDim: 13, Heads: 1, KVHeads: 1, SeqLen: 37, VocabSize: 37}
	if sup := p.Supports(kernels.Query{Op: kernels.RoPE, DType: kernels.F32, Model: odd}); sup.OK {
		t.Errorf("rope with head size 7: %+v, want declined", sup)
	}
	if _, err := p.Prepare(kernels.Tensor{Name: "q", DType: kernels.Q8_0, Rows: 1, Cols: 1}); err == nil {
		t.Error("Prepare accepted a q8_0 tensor")
	}
	if err := p.Init(kernels.Shape{Dim: 7, Heads: 2, KVHeads: 1, SeqLen: 1}); err == nil {
		t.Error("Init accepted Dim 7 with 2 heads")
	}
}

func TestUsable(t *testing.T) {
	err := Usable()
	switch {
	case !asm && (err == nil || !strings.Contains(err.Error(), "386")):
		t.Errorf("Usable() = %v on a build without the assembly", err)
	case asm && (err == nil) != (cpuid.Detect().FPU && cpuid.Detect().CMOV):
		t.Errorf("Usable() = %v with CPUID %+v", err, cpuid.Detect())
	}
	t.Logf("Usable() = %v", err)
}

func TestForeignWeight(t *testing.T) {
	_, got := pair(t, shapes["tiny"])
	out := make([]float32, 8)
	if err := got.MatMul(out, "not mine", out); err != kernels.ErrForeignWeight {
		t.Errorf("MatMul: %v", err)
	}
	if err := got.RMSNorm(out, out, nil); err != kernels.ErrForeignWeight {
		t.Errorf("RMSNorm: %v", err)
	}
}

// TestNoAllocationPerCall checks that no per-token call allocates.
func TestNoAllocationPerCall(t *testing.T) {
	s := shapes["stories15M"]
	r := rand.New(rand.NewPCG(21, 22))
	_, p := pair(t, s)
	w := kerneltest.PrepareF32(t, p, s.HiddenDim, s.Dim, kerneltest.Uniform(r, s.HiddenDim*s.Dim, -0.1, 0.1))
	norm := kerneltest.PrepareF32(t, p, 1, s.Dim, kerneltest.Uniform(r, s.Dim, 0.5, 1.5))
	x, hidden, up := kerneltest.Uniform(r, s.Dim, -2, 2), kerneltest.Uniform(r, s.HiddenDim, -2, 2), kerneltest.Uniform(r, s.HiddenDim, -2, 2)
	out, q, k := make([]float32, s.HiddenDim), kerneltest.Uniform(r, s.Dim, -2, 2), kerneltest.Uniform(r, s.KVDim(), -2, 2)
	keys, values := kerneltest.Uniform(r, s.SeqLen*s.KVDim(), -2, 2), kerneltest.Uniform(r, s.SeqLen*s.KVDim(), -1, 1)
	logits := kerneltest.Uniform(r, 1000, -10, 10)
	allocs := testing.AllocsPerRun(3, func() {
		kerneltest.Must(t, p.MatMul(out, w, x))
		kerneltest.Must(t, p.RMSNorm(x, x, norm))
		kerneltest.Must(t, p.RoPE(q, k, 17))
		kerneltest.Must(t, p.RoPE(q, k, s.SeqLen+1))
		kerneltest.Must(t, p.Attention(out[:s.Dim], q, keys, values, 40))
		kerneltest.Must(t, p.SwiGLU(hidden, up))
		kerneltest.Must(t, p.Softmax(logits))
	})
	if allocs != 0 {
		t.Errorf("%v allocations per round of calls, want 0", allocs)
	}
}
