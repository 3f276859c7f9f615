package unrolled

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/internal/kerneltest"
)

func TestRMSNormMatchesScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, width := range []int{4, 8} {
		ref, got := pair(t, testShape, width, 1)
		for _, n := range []int{1, 3, 7, 9, 17, 64, 288, 768} {
			x, w := kerneltest.Random(r, n), kerneltest.Random(r, n)
			want, out := make([]float32, n), make([]float32, n)
			must(t, ref.RMSNorm(want, x, prepare(t, ref, 1, n, w)))
			must(t, got.RMSNorm(out, x, prepare(t, got, 1, n, w)))
			assertClose(t, fmt.Sprintf("unroll%d n=%d", width, n), out, want)
			inPlace := slices.Clone(x)
			must(t, got.RMSNorm(inPlace, inPlace, prepare(t, got, 1, n, w)))
			assertIdentical(t, fmt.Sprintf("unroll%d n=%d in place", width, n), inPlace, out)
		}
	}
}

func TestAttentionMatchesScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, s := range []kernels.Shape{testShape, kerneltest.Stories15M()} {
		for _, width := range []int{4, 8} {
			ref, got := pair(t, s, width, 3)
			kvDim := s.KVDim()
			keys, values := kerneltest.Random(r, s.SeqLen*kvDim), kerneltest.Random(r, s.SeqLen*kvDim)
			for _, pos := range []int{0, 1, 37, s.SeqLen - 1} {
				q := kerneltest.Random(r, s.Dim)
				want, out := make([]float32, s.Dim), make([]float32, s.Dim)
				must(t, ref.Attention(want, q, keys, values, pos))
				must(t, got.Attention(out, q, keys, values, pos))
				assertClose(t, fmt.Sprintf("unroll%d dim %d pos %d", width, s.Dim, pos), out, want)
			}
		}
	}
}

// TestExactOps checks the ops that keep scalar's order give scalar's bits.
func TestExactOps(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, s := range []kernels.Shape{testShape, kerneltest.Stories15M()} {
		for _, width := range []int{4, 8} {
			ref, got := pair(t, s, width, 2)
			for _, pos := range []int{0, 1, 37, s.SeqLen - 1} {
				q, k := kerneltest.Random(r, s.Dim), kerneltest.Random(r, s.KVDim())
				wq, wk := slices.Clone(q), slices.Clone(k)
				must(t, ref.RoPE(wq, wk, pos))
				must(t, got.RoPE(q, k, pos))
				assertIdentical(t, fmt.Sprintf("unroll%d RoPE q pos %d", width, pos), q, wq)
				assertIdentical(t, fmt.Sprintf("unroll%d RoPE k pos %d", width, pos), k, wk)
			}
			for _, n := range []int{0, 1, 3, 7, 9, 17, 64, 288, 768} {
				gate, up := kerneltest.Random(r, n), kerneltest.Random(r, n)
				for i := range gate {
					gate[i] *= 10 // reach silu's tails
				}
				want := slices.Clone(gate)
				must(t, ref.SwiGLU(want, up))
				must(t, got.SwiGLU(gate, up))
				assertIdentical(t, fmt.Sprintf("unroll%d SwiGLU n=%d", width, n), gate, want)

				x := kerneltest.Random(r, n)
				for i := range x {
					x[i] *= 20
				}
				want = slices.Clone(x)
				must(t, ref.Softmax(want))
				must(t, got.Softmax(x))
				assertIdentical(t, fmt.Sprintf("unroll%d Softmax n=%d", width, n), x, want)
			}
		}
	}
}

func TestNoAllocationPerCall(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	s := kerneltest.Stories15M()
	for _, width := range []int{4, 8} {
		for _, threads := range []int{1, 3} {
			p := kerneltest.Initialised(t, New(width, threads), s)
			bigRows := parallelMACs/s.Dim + 1 // split over the pool
			big := prepare(t, p, bigRows, s.Dim, kerneltest.Random(r, bigRows*s.Dim))
			small := prepare(t, p, 3, 5, kerneltest.Random(r, 15))
			norm := prepare(t, p, 1, s.Dim, kerneltest.Random(r, s.Dim))
			x, hidden := kerneltest.Random(r, s.Dim), kerneltest.Random(r, s.HiddenDim)
			out, up := make([]float32, max(bigRows, s.HiddenDim)), kerneltest.Random(r, s.HiddenDim)
			q, k := kerneltest.Random(r, s.Dim), kerneltest.Random(r, s.KVDim())
			keys, values := kerneltest.Random(r, s.SeqLen*s.KVDim()), kerneltest.Random(r, s.SeqLen*s.KVDim())
			calls := []struct {
				name string
				call func() error
			}{
				{"MatMul parallel", func() error { return p.MatMul(out[:bigRows], big, x) }},
				{"MatMul small", func() error { return p.MatMul(out[:3], small, x[:5]) }},
				{"RMSNorm", func() error { return p.RMSNorm(out[:s.Dim], x, norm) }},
				{"RoPE", func() error { return p.RoPE(q, k, 7) }},
				{"Attention", func() error { return p.Attention(out[:s.Dim], q, keys, values, 40) }},
				{"SwiGLU", func() error { return p.SwiGLU(hidden, up) }},
				{"Softmax", func() error { return p.Softmax(hidden) }},
			}
			for _, c := range calls {
				var err error
				if n := testing.AllocsPerRun(20, func() { err = c.call() }); n != 0 {
					t.Errorf("unroll%d threads %d %s: %v allocations per call", width, threads, c.name, n)
				}
				must(t, err)
			}
		}
	}
}
