package unrolled

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/retrollama/retrollama/internal/kernels/kerneltest"
	"github.com/retrollama/retrollama/kernels"
)

// vectorLengths are the lengths the elementwise ops and RMSNorm are
// tested at: around 4, 8 and 16, and stories15M's widths.
var vectorLengths = []int{1, 2, 3, 7, 8, 9, 15, 16, 17, 64, 288, 289, 768}

func TestRMSNormIdenticalToScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, width := range []int{4, 8} {
		ref, got := pair(t, testShape, width, 1)
		for _, n := range vectorLengths {
			what := fmt.Sprintf("unroll%d n=%d", width, n)
			x, w := kerneltest.NewGuarded(n, kerneltest.Random(r, n)), kerneltest.NewGuarded(n, kerneltest.Random(r, n))
			want := make([]float32, n)
			kerneltest.Must(t, ref.RMSNorm(want, x.S(), kerneltest.PrepareF32(t, ref, 1, n, w.S())))
			out := kerneltest.NewGuarded(n, nil)
			kerneltest.Must(t, got.RMSNorm(out.S(), x.S(), kerneltest.PrepareF32(t, got, 1, n, w.S())))
			out.Check(t, what)
			kerneltest.AssertIdentical(t, what, out.S(), want)
			inPlace := kerneltest.NewGuarded(n, x.S())
			kerneltest.Must(t, got.RMSNorm(inPlace.S(), inPlace.S(), kerneltest.PrepareF32(t, got, 1, n, w.S())))
			inPlace.Check(t, what+" in place")
			kerneltest.AssertIdentical(t, what+" in place", inPlace.S(), want)
		}
	}
}

// attentionShapes are the shapes Attention is tested on: GQA with head
// sizes 8, 15 and 48, one KV head for all, and stories15M.
func attentionShapes() []kernels.Shape {
	return []kernels.Shape{
		testShape, // 8 heads on 4 KV heads of 8
		{Dim: 60, HiddenDim: 16, Heads: 4, KVHeads: 2, SeqLen: 40, VocabSize: 8},  // head 15, GQA
		{Dim: 192, HiddenDim: 16, Heads: 4, KVHeads: 2, SeqLen: 40, VocabSize: 8}, // head 48, GQA
		{Dim: 90, HiddenDim: 16, Heads: 6, KVHeads: 2, SeqLen: 21, VocabSize: 8},  // head 15, 3 heads per KV head
		{Dim: 192, HiddenDim: 16, Heads: 4, KVHeads: 1, SeqLen: 21, VocabSize: 8}, // head 48, one KV head
		kerneltest.Stories15M(), // 6 heads of 48
	}
}

// TestAttentionIdenticalToScalar: every position of short caches (every
// remainder of the passes over positions) and a few of stories15M's, on
// 1 to 4 threads; cache rows past pos hold poison, so a read of one shows.
func TestAttentionIdenticalToScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, s := range attentionShapes() {
		positions := []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 37, s.SeqLen - 1}
		if s.SeqLen <= 64 {
			positions = nil
			for pos := range s.SeqLen {
				positions = append(positions, pos)
			}
		}
		kvDim := s.KVDim()
		for _, width := range []int{4, 8} {
			for threads := 1; threads <= 4; threads++ {
				ref, got := pair(t, s, width, threads)
				for _, pos := range positions {
					what := fmt.Sprintf("unroll%d threads %d %+v pos %d", width, threads, s, pos)
					valid := (pos + 1) * kvDim
					keys := kerneltest.NewGuarded(s.SeqLen*kvDim, kerneltest.Random(r, valid))
					values := kerneltest.NewGuarded(s.SeqLen*kvDim, kerneltest.Random(r, valid))
					q := kerneltest.NewGuarded(s.Dim, kerneltest.Random(r, s.Dim))
					want := make([]float32, s.Dim)
					kerneltest.Must(t, ref.Attention(want, q.S(), keys.S(), values.S(), pos))
					out := kerneltest.NewGuarded(s.Dim, nil)
					kerneltest.Must(t, got.Attention(out.S(), q.S(), keys.S(), values.S(), pos))
					out.Check(t, what)
					kerneltest.AssertIdentical(t, what, out.S(), want)
				}
			}
		}
	}
}

// TestExactOps checks RoPE, SwiGLU and Softmax give scalar's bits.
func TestExactOps(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, s := range attentionShapes() {
		for _, width := range []int{4, 8} {
			ref, got := pair(t, s, width, 2)
			// Positions repeated and revisited: the cached rotation of
			// a position must be the one used, never a stale one.
			for _, pos := range []int{0, 1, 1, 37, 1, 37, 37, s.SeqLen - 1, 0} {
				q, k := kerneltest.Random(r, s.Dim), kerneltest.Random(r, s.KVDim())
				wq, wk := slices.Clone(q), slices.Clone(k)
				kerneltest.Must(t, ref.RoPE(wq, wk, pos))
				kerneltest.Must(t, got.RoPE(q, k, pos))
				kerneltest.AssertIdentical(t, fmt.Sprintf("unroll%d RoPE q pos %d", width, pos), q, wq)
				kerneltest.AssertIdentical(t, fmt.Sprintf("unroll%d RoPE k pos %d", width, pos), k, wk)
			}
		}
	}
	for _, c := range []struct{ width, threads int }{{4, 2}, {8, 2}, {8, 3}} {
		width := c.width
		ref, got := pair(t, testShape, width, c.threads)
		// Lengths around the parallel split and its 64-element units.
		for _, n := range append([]int{0, 255, 256, 257, 320, 768, 1000}, vectorLengths...) {
			gate, up := kerneltest.Random(r, n), kerneltest.Random(r, n)
			for i := range gate {
				gate[i] *= 10 // reach silu's tails
			}
			want := slices.Clone(gate)
			kerneltest.Must(t, ref.SwiGLU(want, up))
			kerneltest.Must(t, got.SwiGLU(gate, up))
			kerneltest.AssertIdentical(t, fmt.Sprintf("unroll%d SwiGLU n=%d", width, n), gate, want)

			x := kerneltest.Random(r, n)
			for i := range x {
				x[i] *= 20
			}
			want = slices.Clone(x)
			kerneltest.Must(t, ref.Softmax(want))
			kerneltest.Must(t, got.Softmax(x))
			kerneltest.AssertIdentical(t, fmt.Sprintf("unroll%d Softmax n=%d", width, n), x, want)
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
			big := kerneltest.PrepareF32(t, p, bigRows, s.Dim, kerneltest.Random(r, bigRows*s.Dim))
			small := kerneltest.PrepareF32(t, p, 3, 5, kerneltest.Random(r, 15))
			norm := kerneltest.PrepareF32(t, p, 1, s.Dim, kerneltest.Random(r, s.Dim))
			x, hidden := kerneltest.Random(r, s.Dim), kerneltest.Random(r, s.HiddenDim)
			out, up := make([]float32, max(bigRows, s.HiddenDim)), kerneltest.Random(r, s.HiddenDim)
			q, k := kerneltest.Random(r, s.Dim), kerneltest.Random(r, s.KVDim())
			keys, values := kerneltest.Random(r, s.SeqLen*s.KVDim()), kerneltest.Random(r, s.SeqLen*s.KVDim())
			kerneltest.AssertCallsNoAllocs(t, fmt.Sprintf("unroll%d threads %d", width, threads), []kerneltest.Call{
				{Name: "MatMul parallel", Call: func() error { return p.MatMul(out[:bigRows], big, x) }},
				{Name: "MatMul small", Call: func() error { return p.MatMul(out[:3], small, x[:5]) }},
				{Name: "RMSNorm", Call: func() error { return p.RMSNorm(out[:s.Dim], x, norm) }},
				{Name: "RoPE", Call: func() error { return p.RoPE(q, k, 7) }},
				{Name: "Attention", Call: func() error { return p.Attention(out[:s.Dim], q, keys, values, 40) }},
				{Name: "SwiGLU", Call: func() error { return p.SwiGLU(hidden, up) }},
				{Name: "Softmax", Call: func() error { return p.Softmax(hidden) }},
			})
		}
	}
}
