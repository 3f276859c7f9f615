package conformance

import (
	"fmt"
	"slices"

	"github.com/retrollama/retrollama/kernels"
)

// Case is one model shape the suite exercises. Its calls are derived from
// it: MatMul on each of Matrices, in fp32 and, when Q8GroupSize is set,
// again with the same weights quantized to Q8_0; RMSNorm on Dim values, out of place and in
// place; RoPE and Attention at each of Positions (RoPE only when the head
// size is even, as rotating pairs needs); SwiGLU on HiddenDim values; and
// Softmax on VocabSize values, the sampler's use, once with ordinary logits
// and once with logits near 90 so that skipping the max subtraction
// overflows.
type Case struct {
	Name     string        // e.g. "stories15M" or "odd n=7"; prefixes every call's label
	Shape    kernels.Shape // what the provider is initialised with
	Matrices []Matrix      // MatMul's weight shapes
	// Q8GroupSize, when positive, adds a Q8_0 MatMul per matrix, its
	// weights quantized in groups of this size (runq.c's quantize); it
	// must divide every matrix's Cols.
	Q8GroupSize int
	Positions   []int // RoPE's and Attention's positions, each below Shape.SeqLen
	// Ops restricts the case to some ops; nil means every op.
	Ops []kernels.Op
	// Large marks the cases Options.Short drops: they dominate the run
	// time and add no shape the others lack but size.
	Large bool
}

// Matrix is one weight matrix shape of a model, for MatMul.
type Matrix struct {
	Name string // the weight's role: "wq", "w1", "classifier"
	Rows int    // output size
	Cols int    // input size
	// GroupSize, when positive, is this matrix's own Q8_0 group size (a
	// model quantized per matrix, checkpoint.FormatQ8PerMatrix), in place
	// of the case's Q8GroupSize; it must divide Cols.
	GroupSize int
}

// groupSize is m's Q8_0 group size in case c: its own, else the case's
// (0: no Q8_0 call).
func (m Matrix) groupSize(c Case) int {
	if m.GroupSize > 0 {
		return m.GroupSize
	}
	return c.Q8GroupSize
}

// DefaultCases returns the shapes Run uses when Options.Cases is nil: tiny
// sizes, unit and odd lengths (not multiples of any SIMD width), grouped-
// query attention, a long context for RoPE's large angles, and the real
// shapes of stories260K, stories15M and stories110M. Matrices list each
// distinct shape of a model's wq, wk, w1, w2 and classifier (wk only where
// grouped-query attention makes it differ from wq). Q8_0 matmuls run on
// tiny (group size 2), n=1 (1), stories260K (4, its w2 172 wide),
// stories15M (32, runq.c's default) and stories110M (64).
func DefaultCases() []Case {
	return []Case{
		{
			Name:        "tiny",
			Shape:       kernels.Shape{Dim: 8, HiddenDim: 16, Heads: 2, KVHeads: 2, SeqLen: 8, VocabSize: 16},
			Matrices:    []Matrix{{"wq", 8, 8, 0}, {"w1", 16, 8, 0}, {"w2", 8, 16, 0}, {"classifier", 16, 8, 0}},
			Q8GroupSize: 2,
			Positions:   []int{0, 1, 4, 7},
		},
		{
			// Head size 1 leaves no pair for RoPE to rotate.
			Name:        "n=1",
			Shape:       kernels.Shape{Dim: 1, HiddenDim: 1, Heads: 1, KVHeads: 1, SeqLen: 1, VocabSize: 1},
			Matrices:    []Matrix{{"1x1", 1, 1, 0}, {"row", 1, 37, 0}, {"column", 37, 1, 0}},
			Q8GroupSize: 1,
			Positions:   []int{0},
		},
		{
			// Head size 7 is odd: no RoPE.
			Name:      "odd n=7",
			Shape:     kernels.Shape{Dim: 7, HiddenDim: 13, Heads: 1, KVHeads: 1, SeqLen: 37, VocabSize: 37},
			Matrices:  []Matrix{{"wq", 7, 7, 0}, {"w1", 13, 7, 0}, {"w2", 7, 13, 0}, {"classifier", 37, 7, 0}},
			Positions: []int{0, 1, 18, 36},
		},
		{
			// Head size 6, key width 6 < query width 18: RoPE's k is shorter.
			Name:      "odd dim=18",
			Shape:     kernels.Shape{Dim: 18, HiddenDim: 37, Heads: 3, KVHeads: 1, SeqLen: 13, VocabSize: 13},
			Matrices:  []Matrix{{"wq", 18, 18, 0}, {"wk", 6, 18, 0}, {"w1", 37, 18, 0}, {"w2", 18, 37, 0}, {"classifier", 13, 18, 0}},
			Positions: []int{0, 1, 6, 12},
		},
		{
			Name:        "stories260K",
			Shape:       modelShape("stories260K"),
			Matrices:    []Matrix{{"wq", 64, 64, 0}, {"wk", 32, 64, 0}, {"w1", 172, 64, 0}, {"w2", 64, 172, 0}, {"classifier", 512, 64, 0}},
			Q8GroupSize: 4,
			Positions:   []int{0, 1, 256, 511},
		},
		{
			// A group size per matrix (retrollama quantize --format
			// q8_0-per-matrix): stories260K's dim-wide inputs in one group
			// per row, w2's 172-wide rows whole, halved and in quarters
			// (43: odd, no multiple of any SIMD width).
			Name:  "stories260K per matrix",
			Shape: modelShape("stories260K"),
			Matrices: []Matrix{{"wq", 64, 64, 64}, {"w1", 172, 64, 64}, {"w2", 64, 172, 172}, {"w2", 64, 172, 86},
				{"w2", 64, 172, 43}, {"classifier", 512, 64, 64}},
			Ops: []kernels.Op{kernels.MatMul},
		},
		{
			// Eight query heads share one KV head, Llama 2 70B's ratio.
			Name:      "gqa 8:1",
			Shape:     kernels.Shape{Dim: 256, HiddenDim: 688, Heads: 8, KVHeads: 1, SeqLen: 128, VocabSize: 1000},
			Matrices:  []Matrix{{"wq", 256, 256, 0}, {"wk", 32, 256, 0}},
			Positions: []int{0, 1, 64, 127},
			Ops:       []kernels.Op{kernels.MatMul, kernels.RoPE, kernels.Attention},
		},
		{
			// Llama 2's context: angles up to 4095 rad, where float32
			// rounding of pos·freq starts to matter.
			Name:      "long seq=4096",
			Shape:     func() kernels.Shape { s := modelShape("stories260K"); s.SeqLen = 4096; return s }(),
			Positions: []int{0, 1000, 2048, 4095},
			Ops:       []kernels.Op{kernels.RoPE, kernels.Attention},
		},
		{
			Name:        "stories15M",
			Shape:       modelShape("stories15M"),
			Matrices:    []Matrix{{"wq", 288, 288, 0}, {"w1", 768, 288, 0}, {"w2", 288, 768, 0}, {"classifier", 32000, 288, 0}},
			Q8GroupSize: 32,
			Positions:   []int{0, 1, 128, 255},
		},
		{
			Name:        "stories110M",
			Shape:       modelShape("stories110M"),
			Matrices:    []Matrix{{"wq", 768, 768, 0}, {"w1", 2048, 768, 0}, {"w2", 768, 2048, 0}, {"classifier", 32000, 768, 0}},
			Q8GroupSize: 64,
			Positions:   []int{0, 1, 512, 1023},
			Large:       true,
		},
	}
}

// modelShape is the shape of the named kernels.Models entry (the
// project's one table of model shapes) without its layer count: a case's
// calls are one layer's, so a provider that holds the KV caches
// (kernels.CacheAllocator) sizes none at Init. It panics on a name the
// table lacks, a mistake in DefaultCases.
func modelShape(name string) kernels.Shape {
	m, ok := kernels.ModelNamed(name)
	if !ok {
		panic("conformance: kernels.Models has no " + name)
	}
	m.Shape.Layers = 0
	return m.Shape
}

// has reports whether the case exercises op.
func (c Case) has(op kernels.Op) bool { return c.Ops == nil || slices.Contains(c.Ops, op) }

// validate reports a case whose calls would break the contract's shape
// rules, so that a bad custom case is a clear failure, not a panic.
func (c Case) validate() error {
	s := c.Shape
	if s.Dim <= 0 || s.HiddenDim <= 0 || s.Heads <= 0 || s.KVHeads <= 0 || s.SeqLen <= 0 || s.VocabSize <= 0 {
		return fmt.Errorf("case %q: every size must be positive: %+v", c.Name, s)
	}
	if s.Dim%s.Heads != 0 || s.Heads%s.KVHeads != 0 {
		return fmt.Errorf("case %q: Dim must be a multiple of Heads and Heads of KVHeads: %+v", c.Name, s)
	}
	for _, m := range c.Matrices {
		if m.Rows <= 0 || m.Cols <= 0 {
			return fmt.Errorf("case %q: matrix %s is %dx%d", c.Name, m.Name, m.Rows, m.Cols)
		}
		if gs := m.groupSize(c); gs > 0 && m.Cols%gs != 0 {
			return fmt.Errorf("case %q: Q8 group size %d does not divide matrix %s's %d columns", c.Name, gs, m.Name, m.Cols)
		}
	}
	for _, p := range c.Positions {
		if p < 0 || p >= s.SeqLen {
			return fmt.Errorf("case %q: position %d outside [0,%d)", c.Name, p, s.SeqLen)
		}
	}
	return nil
}
