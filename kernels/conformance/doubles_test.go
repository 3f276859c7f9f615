package conformance_test

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/conformance"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// The test doubles below wrap the scalar reference and break one rule
// each; the suite must catch exactly that rule.

// pastWriter writes one float past its matmul output, into the capacity
// the suite's guard band gives out.
type pastWriter struct{ *scalar.Provider }

func (p pastWriter) MatMul(out []float32, w kernels.Weight, x []float32) error {
	err := p.Provider.MatMul(out, w, x)
	if cap(out) > len(out) {
		out[:cap(out)][len(out)] = 1
	}
	return err
}

// nanSoftmax leaves a NaN in its softmax output.
type nanSoftmax struct{ *scalar.Provider }

func (p nanSoftmax) Softmax(x []float32) error {
	err := p.Provider.Softmax(x)
	x[len(x)/2] = float32(math.NaN())
	return err
}

// inputWriter scribbles on its matmul input after using it.
type inputWriter struct{ *scalar.Provider }

func (p inputWriter) MatMul(out []float32, w kernels.Weight, x []float32) error {
	err := p.Provider.MatMul(out, w, x)
	x[0]++
	return err
}

// scaler is off by 0.1% on every matmul output: NMSE 1e-6.
type scaler struct{ *scalar.Provider }

func (p scaler) MatMul(out []float32, w kernels.Weight, x []float32) error {
	err := p.Provider.MatMul(out, w, x)
	for i := range out {
		out[i] *= 1.001
	}
	return err
}

// ropePanic panics in RoPE.
type ropePanic struct{ *scalar.Provider }

func (ropePanic) RoPE(q, k []float32, pos int) error { panic("rope exploded") }

// swigluError returns an error from SwiGLU.
type swigluError struct{ *scalar.Provider }

func (swigluError) SwiGLU(gate, up []float32) error { return errors.New("module trapped") }

// staleReader runs attention one row too far, reading a KV-cache row
// that the contract makes invalid.
type staleReader struct {
	*scalar.Provider
	seqLen int
}

func (p *staleReader) Init(s kernels.Shape) error { p.seqLen = s.SeqLen; return p.Provider.Init(s) }

func (p *staleReader) Attention(out, q, keys, values []float32, pos int) error {
	return p.Provider.Attention(out, q, keys, values, min(pos+1, p.seqLen-1))
}

// overReader reads one float past its matmul input, within its capacity.
type overReader struct{ *scalar.Provider }

func (p overReader) MatMul(out []float32, w kernels.Weight, x []float32) error {
	err := p.Provider.MatMul(out, w, x)
	out[0] += 0 * x[:len(x)+1][len(x)]
	return err
}

// weightWriter modifies matrices it is given at Prepare: an fp32 value,
// or a Q8_0 one.
type weightWriter struct{ *scalar.Provider }

func (p weightWriter) Prepare(t kernels.Tensor) (kernels.Weight, error) {
	switch {
	case t.Rows > 1 && t.DType == kernels.Q8_0:
		t.Q8[len(t.Q8)-1] ^= 1
	case t.Rows > 1:
		t.F32[len(t.F32)-1] = 0
	}
	return p.Provider.Prepare(t)
}

// scaleWriter doubles the last scale of the Q8_0 matrices it prepares.
type scaleWriter struct{ *scalar.Provider }

func (p scaleWriter) Prepare(t kernels.Tensor) (kernels.Weight, error) {
	if t.DType == kernels.Q8_0 {
		t.Scales[len(t.Scales)-1] *= 2
	}
	return p.Provider.Prepare(t)
}

// q8PastWriter writes one byte past the Q8_0 values it prepares.
type q8PastWriter struct{ *scalar.Provider }

func (p q8PastWriter) Prepare(t kernels.Tensor) (kernels.Weight, error) {
	if t.DType == kernels.Q8_0 && cap(t.Q8) > len(t.Q8) {
		t.Q8[:cap(t.Q8)][len(t.Q8)] = 1
	}
	return p.Provider.Prepare(t)
}

// accumulator adds W·x to out instead of storing it.
type accumulator struct{ *scalar.Provider }

func (p accumulator) MatMul(out []float32, w kernels.Weight, x []float32) error {
	tmp := make([]float32, len(out))
	err := p.Provider.MatMul(tmp, w, x)
	for i, v := range tmp {
		out[i] += v
	}
	return err
}

// oneULP is the reference but for one matmul output value, the middle
// one, one ulp larger: the smallest error there is, the one a
// reassociated sum makes.
type oneULP struct{ *scalar.Provider }

func (p oneULP) MatMul(out []float32, w kernels.Weight, x []float32) error {
	err := p.Provider.MatMul(out, w, x)
	i := len(out) / 2
	out[i] = math.Nextafter32(out[i], float32(math.Inf(1)))
	return err
}

// negZero is the reference but for a softmax whose output has an exact
// zero: it writes -0 there, equal to +0 as a number but not as bits.
type negZero struct{ *scalar.Provider }

func (p negZero) RMSNorm(out, x []float32, w kernels.Weight) error {
	err := p.Provider.RMSNorm(out, x, w)
	for i, v := range out {
		if v == 0 {
			out[i] = float32(math.Copysign(0, -1))
		}
	}
	return err
}

// decliner declines in Supports the queries declines picks, giving
// reason; the rest go to the reference.
type decliner struct {
	*scalar.Provider
	declines func(kernels.Query) bool
	reason   string
}

func (p decliner) Supports(q kernels.Query) kernels.Support {
	if p.declines(q) {
		return kernels.Support{Reason: p.reason}
	}
	return p.Provider.Supports(q)
}

// smallCases keeps the doubles' tests fast while still covering a model
// shape, an odd one and attention.
func smallCases() []conformance.Case {
	var cs []conformance.Case
	for _, c := range conformance.DefaultCases() {
		switch c.Name {
		case "tiny", "odd n=7", "stories260K":
			cs = append(cs, c)
		}
	}
	return cs
}

// TestSuiteCatchesBrokenProviders: in both modes, each double fails
// exactly the op it breaks, with a one-line message naming the provider,
// the op, the case and the fault, and passes everything else.
func TestSuiteCatchesBrokenProviders(t *testing.T) {
	tests := []struct {
		name    string
		f       conformance.Factory
		op      kernels.Op
		want    []string // substrings of every failure of op
		exact   []string // more substrings in exact mode
		nmse    []string // more substrings in NMSE mode
		skipped bool     // op's calls are skipped, not failed
		exempt  []string // cases where the fault cannot show
		onlyQ8  bool     // only op's Q8_0 calls are affected
	}{
		{name: "past-writer", f: func() kernels.Provider { return pastWriter{scalar.New()} }, op: kernels.MatMul, want: []string{"matmul", "past", "output buffer out"}},
		{name: "nan-softmax", f: func() kernels.Provider { return nanSoftmax{scalar.New()} }, op: kernels.Softmax, want: []string{"softmax", "NaN", "where the reference is"}},
		{name: "input-writer", f: func() kernels.Provider { return inputWriter{scalar.New()} }, op: kernels.MatMul, want: []string{"matmul", "modifies its input x"}},
		{name: "scaler", f: func() kernels.Provider { return scaler{scalar.New()} }, op: kernels.MatMul, want: []string{"matmul"}, exact: []string{"not bit-identical", "values differ"}, nmse: []string{"NMSE", "above the threshold"}},
		{name: "rope-panic", f: func() kernels.Provider { return ropePanic{scalar.New()} }, op: kernels.RoPE, want: []string{"rope", "panics", "rope exploded"}},
		{name: "swiglu-error", f: func() kernels.Provider { return swigluError{scalar.New()} }, op: kernels.SwiGLU, want: []string{"swiglu", "failed", "module trapped"}},
		{name: "stale-reader", f: func() kernels.Provider { return &staleReader{Provider: scalar.New()} }, op: kernels.Attention, want: []string{"attention", "NaN"}, exempt: []string{"tiny pos=7", "odd n=7 pos=36", "stories260K pos=511"}},
		{name: "over-reader", f: func() kernels.Provider { return overReader{scalar.New()} }, op: kernels.MatMul, want: []string{"matmul", "out[0] is NaN", "guard-band payload"}},
		{name: "weight-writer", f: func() kernels.Provider { return weightWriter{scalar.New()} }, op: kernels.MatMul, want: []string{"matmul", "modifies the weight tensor"}},
		{name: "accumulator", f: func() kernels.Provider { return accumulator{scalar.New()} }, op: kernels.MatMul, want: []string{"matmul"}, exact: []string{"not bit-identical"}, nmse: []string{"NMSE", "above the threshold"}},
		{name: "no-attention", f: func() kernels.Provider {
			return decliner{scalar.New(), func(q kernels.Query) bool { return q.Op == kernels.Attention }, "attention not implemented"}
		}, op: kernels.Attention, want: []string{"attention not implemented"}, skipped: true},
		{name: "scale-writer", f: func() kernels.Provider { return scaleWriter{scalar.New()} }, op: kernels.MatMul, want: []string{"matmul", "modifies the weight tensor", "scale"}, onlyQ8: true},
		{name: "q8-past-writer", f: func() kernels.Provider { return q8PastWriter{scalar.New()} }, op: kernels.MatMul, want: []string{"matmul", "writes past its weight tensor", "q8_0 values"}, onlyQ8: true},
		{name: "no-q8", f: func() kernels.Provider {
			return decliner{scalar.New(), func(q kernels.Query) bool { return q.DType == kernels.Q8_0 }, "q8_0 not implemented"}
		}, op: kernels.MatMul, want: []string{"q8_0 not implemented"}, skipped: true, onlyQ8: true},
	}
	for _, tt := range tests {
		for _, mode := range []conformance.Mode{conformance.Exact, conformance.NMSE} {
			t.Run(tt.name+"/"+mode.String(), func(t *testing.T) {
				results := conformance.Run(tt.name, tt.f, conformance.Options{Cases: smallCases(), Mode: mode})
				hits := 0
				for _, r := range results {
					if r.Op != tt.op || tt.onlyQ8 && !strings.Contains(r.Case, "q8_0") {
						if !r.Passed() || r.Skipped != "" {
							t.Errorf("other op affected: %s", r)
						}
						continue
					}
					hits++
					text := r.Failure
					if tt.skipped {
						text = r.Skipped
						if !r.Passed() {
							t.Errorf("declined call failed: %s", r)
						}
					} else if r.Passed() {
						if !slices.Contains(tt.exempt, r.Case) {
							t.Errorf("not caught: %s", r)
						}
						continue
					}
					want := slices.Clone(tt.want)
					if mode == conformance.Exact {
						want = append(want, tt.exact...)
					} else {
						want = append(want, tt.nmse...)
					}
					if !tt.skipped {
						want = append(want, tt.name, r.Case)
					}
					for _, s := range want {
						if !strings.Contains(text, s) {
							t.Errorf("message %q lacks %q", text, s)
						}
					}
					if !tt.skipped && strings.Contains(text, "\n") {
						t.Errorf("message is not one line: %q", text)
					}
				}
				if hits == 0 {
					t.Fatalf("no %s call ran", tt.op)
				}
				t.Logf("e.g. %s", results[firstOf(results, tt.op, tt.onlyQ8)])
			})
		}
	}
}

// firstOf returns the index of the first result of op, of a Q8_0 call if
// onlyQ8.
func firstOf(results []conformance.Result, op kernels.Op, onlyQ8 bool) int {
	for i, r := range results {
		if r.Op == op && (!onlyQ8 || strings.Contains(r.Case, "q8_0")) {
			return i
		}
	}
	return 0
}
