package avx2

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/retrollama/retrollama/internal/kernels/kerneltest"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// gqaShape is a GQA model: 8 query heads sharing 4 KV heads of size 8.
var gqaShape = kerneltest.SmallGQA()

// TestMatMulQ8Exact: the Q8_0 matmul is the reference's bit for bit, for
// row counts around the quads, group sizes that are multiples of 32 (the
// others are declined), a split over the pool, weights of -128, all-zero
// groups, and an x whose quantization holds -128.
func TestMatMulQ8Exact(t *testing.T) {
	skipWithout(t)
	r := rand.New(rand.NewPCG(11, 12))
	ref := kerneltest.Initialised(t, scalar.New(), kerneltest.Stories15M())
	type shape struct{ rows, cols, gs int }
	var shapes []shape
	for rows := 1; rows <= 9; rows++ {
		for _, gc := range [][2]int{{32, 32}, {32, 96}, {64, 64}, {64, 320}, {96, 288}, {32, 288}} {
			shapes = append(shapes, shape{rows, gc[1], gc[0]})
		}
	}
	shapes = append(shapes, shape{parallelMACs/288 + 7, 288, 32}, shape{parallelMACs/768 + 5, 768, 64})
	for _, threads := range []int{1, 3} {
		p := kerneltest.Initialised(t, New(threads), kerneltest.Stories15M())
		for _, sh := range shapes {
			for variant := range 4 {
				name := fmt.Sprintf("threads %d %d×%d gs %d variant %d", threads, sh.rows, sh.cols, sh.gs, variant)
				w, x := kerneltest.Random(r, sh.rows*sh.cols), kerneltest.Random(r, sh.cols)
				tensor := kerneltest.Q8Tensor(w, sh.rows, sh.cols, sh.gs)
				switch variant {
				case 1: // hostile weights: -128, which |w| must still get right
					for i := range tensor.Q8 {
						if i%3 == 0 {
							tensor.Q8[i] = -128
						}
					}
				case 2: // an all-zero group of x (scale 0, values 0)
					clear(x[:sh.gs])
				case 3: // a subnormal group: quantizes to -128
					clear(x[:sh.gs])
					x[0] = float32(math.Ldexp(1, -142))
					xq, xs := make([]int8, sh.cols), make([]float32, sh.cols/sh.gs)
					scalar.Quantize(xq, xs, x, sh.gs)
					if xq[0] != -128 {
						t.Fatalf("%s: test x quantizes to %d, want -128", name, xq[0])
					}
				}
				want := make([]float32, sh.rows)
				kerneltest.Must(t, ref.MatMul(want, kerneltest.Prepare(t, ref, tensor), x))
				x0 := slices.Clone(x)
				out, check := kerneltest.GuardedOut(t, sh.rows)
				kerneltest.Must(t, p.MatMul(out, kerneltest.Prepare(t, p, tensor), x))
				check(name)
				for i := range want {
					if math.Float32bits(out[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%s: out[%d] = %v, reference %v", name, i, out[i], want[i])
					}
				}
				if !slices.Equal(x, x0) {
					t.Fatalf("%s: modified x", name)
				}
				checkQ8Panels(t, p, name, tensor, x, want)
			}
		}
	}
}

// checkQ8Panels runs a Q8_0 W·x as for a weight the engine can release
// (a mapped file), where the provider copies W into panels: its Release
// poisons the released values and scales of a copy (values 77, scales
// NaN), so a result read from them rather than from the panels, or a
// release of rows not yet copied, differs from the reference. It checks
// that every value was released once.
func checkQ8Panels(t *testing.T, p kernels.Provider, name string, tensor kernels.Tensor, x, want []float32) {
	t.Helper()
	tensor.Q8, tensor.Scales = slices.Clone(tensor.Q8), slices.Clone(tensor.Scales)
	released := 0
	tensor.Release = func(lo, hi int) {
		for i := lo; i < hi; i++ {
			tensor.Q8[i] = 77
		}
		for g := lo / tensor.GroupSize; g < hi/tensor.GroupSize; g++ {
			tensor.Scales[g] = float32(math.NaN())
		}
		released += hi - lo
	}
	out, check := kerneltest.GuardedOut(t, tensor.Rows)
	kerneltest.Must(t, p.MatMul(out, kerneltest.Prepare(t, p, tensor), x))
	check(name + " (panels)")
	for i := range want {
		if math.Float32bits(out[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s (panels): out[%d] = %v, reference %v", name, i, out[i], want[i])
		}
	}
	if tensor.Rows > 1 && released != tensor.Rows*tensor.Cols {
		t.Fatalf("%s (panels): released %d of %d values", name, released, tensor.Rows*tensor.Cols)
	}
}

// TestQ8SmallGroupsDeclined: a Q8_0 matrix whose group size is not a
// multiple of 32 is declined in Supports, with a reason, and Prepare
// refuses it; the profile's next provider takes it.
func TestQ8SmallGroupsDeclined(t *testing.T) {
	skipWithout(t)
	p := kerneltest.Initialised(t, New(1), kerneltest.Stories15M())
	for _, gs := range []int{1, 4, 8, 16, 48} {
		if s := p.Supports(kernels.Query{Op: kernels.MatMul, DType: kernels.Q8_0, Rows: 4, Cols: 96, GroupSize: gs}); s.OK || s.Reason == "" {
			t.Errorf("group size %d: %+v", gs, s)
		}
		r := rand.New(rand.NewPCG(1, uint64(gs)))
		if _, err := p.Prepare(kerneltest.Q8Tensor(kerneltest.Random(r, 4*96), 4, 96, gs)); err == nil {
			t.Errorf("group size %d: Prepare accepted it", gs)
		}
	}
}

// TestRMSNormExact: the reference's bits for lengths around the 8-float
// step, in place as out of place, guards kept, special values included.
func TestRMSNormExact(t *testing.T) {
	skipWithout(t)
	r := rand.New(rand.NewPCG(13, 14))
	ref := kerneltest.Initialised(t, scalar.New(), kerneltest.Stories15M())
	p := kerneltest.Initialised(t, New(1), kerneltest.Stories15M())
	for _, n := range []int{1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 40, 64, 288, 289, 768} {
		for variant := range 4 {
			x, w := kerneltest.Random(r, n), kerneltest.Random(r, n)
			switch variant {
			case 1: // wide magnitudes: the sum of squares' order shows
				for i := range x {
					x[i] = float32(math.Ldexp(float64(x[i]), r.IntN(60)-30))
				}
			case 2: // signed zeros and a NaN weight
				x[0], w[n-1] = float32(math.Copysign(0, -1)), float32(math.NaN())
			case 3: // an infinite x: the scale is 0, inf·0 NaN
				x[n/2] = float32(math.Inf(-1))
			}
			name := fmt.Sprintf("n=%d variant %d", n, variant)
			want := make([]float32, n)
			kerneltest.Must(t, ref.RMSNorm(want, x, kerneltest.Prepare(t, ref, kerneltest.F32(1, n, w))))
			out, check := kerneltest.GuardedOut(t, n)
			kerneltest.Must(t, p.RMSNorm(out, x, kerneltest.Prepare(t, p, kerneltest.F32(1, n, w))))
			check(name)
			kerneltest.AssertIdentical(t, name, out, want)
			inPlace := slices.Clone(x)
			kerneltest.Must(t, p.RMSNorm(inPlace, inPlace, kerneltest.Prepare(t, p, kerneltest.F32(1, n, w))))
			kerneltest.AssertIdentical(t, name+" in place", inPlace, want)
		}
	}
}

// TestAttentionExact: the reference's bits for multi-head, grouped-query
// and odd head sizes (8, 15, 48, 128), at positions around the 8- and
// 16-position groups and up to the last, on 1 to 4 threads (heads split
// over the pool at long contexts), with guards after out.
func TestAttentionExact(t *testing.T) {
	skipWithout(t)
	r := rand.New(rand.NewPCG(15, 16))
	hs15 := kernels.Shape{Dim: 60, HiddenDim: 16, Heads: 4, KVHeads: 2, SeqLen: 40, VocabSize: 10}
	hs48gqa := kernels.Shape{Dim: 192, HiddenDim: 16, Heads: 4, KVHeads: 2, SeqLen: 300, VocabSize: 10}
	hs128 := kernels.Shape{Dim: 256, HiddenDim: 16, Heads: 2, KVHeads: 1, SeqLen: 70, VocabSize: 10}
	cases := []struct {
		s       kernels.Shape
		threads int
	}{
		{gqaShape, 1}, {kerneltest.Stories15M(), 1}, {kerneltest.Stories15M(), 2}, {kerneltest.Stories15M(), 4},
		{hs15, 3}, {hs48gqa, 1}, {hs48gqa, 2}, {hs128, 1}, {hs128, 3},
	}
	for _, c := range cases {
		s := c.s
		ref := kerneltest.Initialised(t, scalar.New(), s)
		p := kerneltest.Initialised(t, New(c.threads), s)
		kvDim := s.KVDim()
		keys, values := kerneltest.Random(r, s.SeqLen*kvDim), kerneltest.Random(r, s.SeqLen*kvDim)
		for _, pos := range []int{0, 1, 6, 7, 8, 9, 15, 16, 17, 31, 33, s.SeqLen / 2, s.SeqLen - 1} {
			if pos >= s.SeqLen {
				continue
			}
			q := kerneltest.Random(r, s.Dim)
			want := make([]float32, s.Dim)
			kerneltest.Must(t, ref.Attention(want, q, keys, values, pos))
			out, check := kerneltest.GuardedOut(t, s.Dim)
			kerneltest.Must(t, p.Attention(out, q, keys, values, pos))
			name := fmt.Sprintf("threads %d dim %d heads %d/%d pos %d", c.threads, s.Dim, s.Heads, s.KVHeads, pos)
			check(name)
			kerneltest.AssertIdentical(t, name, out, want)
		}
		if err := p.Attention(make([]float32, s.Dim), make([]float32, s.Dim), keys, values, s.SeqLen); err == nil {
			t.Fatalf("attention past the cache: no error")
		}
	}
}

// TestAttentionSpecialValues: signed zeros, a NaN and an infinity in the
// caches and the query go through as in the reference.
func TestAttentionSpecialValues(t *testing.T) {
	skipWithout(t)
	r := rand.New(rand.NewPCG(27, 28))
	s := kernels.Shape{Dim: 96, HiddenDim: 16, Heads: 2, KVHeads: 1, SeqLen: 24, VocabSize: 10}
	ref := kerneltest.Initialised(t, scalar.New(), s)
	p := kerneltest.Initialised(t, New(1), s)
	kvDim := s.KVDim()
	for trial := range 40 {
		keys, values := kerneltest.Random(r, s.SeqLen*kvDim), kerneltest.Random(r, s.SeqLen*kvDim)
		q := kerneltest.Random(r, s.Dim)
		for range 3 {
			v := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), 1e30, 1e-40}[r.IntN(6)]
			switch r.IntN(3) {
			case 0:
				keys[r.IntN(len(keys))] = v
			case 1:
				values[r.IntN(len(values))] = v
			default:
				q[r.IntN(len(q))] = v
			}
		}
		if trial%4 == 0 { // all-zero values: every output is a sum of ±0
			for i := range values {
				values[i] = float32(math.Copysign(0, -1))
			}
		}
		pos := r.IntN(s.SeqLen)
		want := make([]float32, s.Dim)
		kerneltest.Must(t, ref.Attention(want, q, keys, values, pos))
		out := make([]float32, s.Dim)
		kerneltest.Must(t, p.Attention(out, q, keys, values, pos))
		kerneltest.AssertIdentical(t, fmt.Sprintf("trial %d pos %d", trial, pos), out, want)
	}
}

// TestNoAllocationPerCall: no op allocates, split over the pool or not.
func TestNoAllocationPerCall(t *testing.T) {
	skipWithout(t)
	r := rand.New(rand.NewPCG(17, 18))
	s := kerneltest.Stories15M()
	for _, threads := range []int{1, 3} {
		p := kerneltest.Initialised(t, New(threads), s)
		bigRows := parallelMACs/s.Dim + 1
		big, bigQ8 := kerneltest.RandomWeights(t, p, r, bigRows, s.Dim)
		// The same shapes on panels, as from a mapped file.
		release := func(lo, hi int) {}
		bigPanels := kerneltest.F32(bigRows, s.Dim, kerneltest.Random(r, bigRows*s.Dim))
		bigPanels.Release = release
		bigQ8Panels := kerneltest.Q8Tensor(kerneltest.Random(r, bigRows*s.Dim), bigRows, s.Dim, 32)
		bigQ8Panels.Release = release
		panels, q8Panels := kerneltest.Prepare(t, p, bigPanels), kerneltest.Prepare(t, p, bigQ8Panels)
		small := kerneltest.Prepare(t, p, kerneltest.F32(3, 5, kerneltest.Random(r, 15)))
		norm := kerneltest.Prepare(t, p, kerneltest.F32(1, s.Dim, kerneltest.Random(r, s.Dim)))
		x := kerneltest.Random(r, s.Dim)
		out := make([]float32, max(bigRows, s.Dim))
		q := kerneltest.Random(r, s.Dim)
		keys, values := kerneltest.Random(r, s.SeqLen*s.KVDim()), kerneltest.Random(r, s.SeqLen*s.KVDim())
		kerneltest.AssertCallsNoAllocs(t, fmt.Sprintf("threads %d", threads), []kerneltest.Call{
			{Name: "MatMul parallel", Call: func() error { return p.MatMul(out[:bigRows], big, x) }},
			{Name: "MatMul q8 parallel", Call: func() error { return p.MatMul(out[:bigRows], bigQ8, x) }},
			{Name: "MatMul panels parallel", Call: func() error { return p.MatMul(out[:bigRows], panels, x) }},
			{Name: "MatMul q8 panels parallel", Call: func() error { return p.MatMul(out[:bigRows], q8Panels, x) }},
			{Name: "MatMul small", Call: func() error { return p.MatMul(out[:3], small, x[:5]) }},
			{Name: "RMSNorm", Call: func() error { return p.RMSNorm(out[:s.Dim], x, norm) }},
			{Name: "Attention", Call: func() error { return p.Attention(out[:s.Dim], q, keys, values, 2) }},
			{Name: "Attention parallel", Call: func() error { return p.Attention(out[:s.Dim], q, keys, values, 200) }},
		})
	}
}

// fastQuantizer is quantizeFast as a kerneltest.FastQuantizer.
func fastQuantizer(_ testing.TB, q []int8, s []float32, x []float32, gs int) bool {
	return quantizeFast(q, s, x, gs)
}

// TestQuantizeMatchesReference: the assembly's quantization of x is the
// reference's bit for bit, and hands back exactly the groups it must
// (kerneltest.TestFastQuantizer).
func TestQuantizeMatchesReference(t *testing.T) {
	skipWithout(t)
	kerneltest.TestFastQuantizer(t, fastQuantizer, []int{32, 64, 96}, rand.New(rand.NewPCG(19, 20)))
}

// FuzzQuantize: differential fuzzing of the assembly quantizer against
// the reference's, on any bit patterns.
func FuzzQuantize(f *testing.F) {
	kerneltest.FuzzFastQuantizer(f, "avx2", Usable(), fastQuantizer, func(b []byte, n int) []float32 {
		x := make([]float32, n)
		for i := range len(b) / 4 {
			x[i] = math.Float32frombits(uint32(b[4*i]) | uint32(b[4*i+1])<<8 | uint32(b[4*i+2])<<16 | uint32(b[4*i+3])<<24)
		}
		return x
	})
}

// BenchmarkAttention: one layer's attention at the stories15M shape at
// positions 63 and 255 (a 256-token run's middle and end), one thread,
// against the scalar reference, in one run.
func BenchmarkAttention(b *testing.B) {
	skipWithout(b)
	s := kerneltest.Stories15M()
	r := rand.New(rand.NewPCG(41, 42))
	keys, values := kerneltest.Random(r, s.SeqLen*s.KVDim()), kerneltest.Random(r, s.SeqLen*s.KVDim())
	q, out := kerneltest.Random(r, s.Dim), make([]float32, s.Dim)
	for _, pos := range []int{63, 255} {
		for _, c := range []struct {
			name string
			p    kernels.Provider
		}{{"avx2", New(1)}, {"scalar", scalar.New()}} {
			kerneltest.Must(b, c.p.Init(s))
			b.Run(fmt.Sprintf("pos%d/%s", pos, c.name), func(b *testing.B) {
				for b.Loop() {
					kerneltest.Must(b, c.p.Attention(out, q, keys, values, pos))
				}
			})
			c.p.Close()
		}
	}
}

// TestQ8PanelSplits: every way the pool may cut a Q8_0 matrix on panels
// into ranges of 16-row units gives the reference's rows: q8PanelUnits
// over random partitions (ranges starting in the middle of a block,
// single units, the partial last unit), so the 4-panel and 2-panel passes
// agree.
func TestQ8PanelSplits(t *testing.T) {
	skipWithout(t)
	r := rand.New(rand.NewPCG(43, 44))
	ref := kerneltest.Initialised(t, scalar.New(), kerneltest.Stories15M())
	for _, sh := range [][3]int{{288, 64, 32}, {100, 96, 32}, {15, 64, 64}, {47, 288, 96}, {32, 32, 32}} {
		rows, cols, gs := sh[0], sh[1], sh[2]
		w, x := kerneltest.Random(r, rows*cols), kerneltest.Random(r, cols)
		tensor := kerneltest.Q8Tensor(w, rows, cols, gs)
		want := make([]float32, rows)
		kerneltest.Must(t, ref.MatMul(want, kerneltest.Prepare(t, ref, tensor), x))
		m := &q8Matrix{rows: rows, cols: cols, gs: gs, groups: cols / gs}
		m.panels, m.s32 = q8panelize(tensor.Q8, tensor.Scales, rows, cols, gs, func(lo, hi int) {})
		xq, xs := make([]int8, cols), make([]float32, cols/gs)
		scalar.Quantize(xq, xs, x, gs)
		units := (rows + q8PanelUnit - 1) / q8PanelUnit
		for trial := range 30 {
			out, check := kerneltest.GuardedOut(t, rows)
			for lo := 0; lo < units; {
				hi := min(units, lo+1+r.IntN(4))
				q8PanelUnits(out, m, xq, xs, lo, hi)
				lo = hi
			}
			name := fmt.Sprintf("%d×%d gs %d trial %d", rows, cols, gs, trial)
			check(name)
			for i := range want {
				if math.Float32bits(out[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s: out[%d] = %v, reference %v", name, i, out[i], want[i])
				}
			}
		}
	}
}
