package conformance_test

import (
	"math"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/raceflag"

	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/conformance"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// precise is a correct provider that rounds differently from the
// reference: everything in float64 with Go's math functions, rounded to
// float32 once per output. It stands for every legitimate optimisation
// (reordered sums, FMA, other libm) and shows that the thresholds leave
// them room in NMSE mode, and that exact mode does not.
type precise struct {
	shape kernels.Shape
}

func (p *precise) Name() string                           { return "precise" }
func (p *precise) Supports(kernels.Query) kernels.Support { return kernels.Support{OK: true} }
func (p *precise) Init(s kernels.Shape) error             { p.shape = s; return nil }
func (p *precise) Prepare(t kernels.Tensor) (kernels.Weight, error) {
	return t, nil
}
func (p *precise) Close() error { return nil }

func (p *precise) MatMul(out []float32, w kernels.Weight, x []float32) error {
	t := w.(kernels.Tensor)
	if t.DType == kernels.Q8_0 {
		return matMulQ8(out, t, x)
	}
	for i := range t.Rows {
		out[i] = float32(dot(t.F32[i*t.Cols:(i+1)*t.Cols], x))
	}
	return nil
}

// matMulQ8 quantizes x exactly as runq.c (any other rounding of x would
// be a different quantization, not a different summation), then sums the
// groups in float64: the reordering of a correct Q8_0 kernel.
func matMulQ8(out []float32, t kernels.Tensor, x []float32) error {
	gs := t.GroupSize
	xq, xs := make([]int8, len(x)), make([]float32, len(x)/gs)
	scalar.Quantize(xq, xs, x, gs)
	for i := range t.Rows {
		var sum float64
		for g := range t.Cols / gs {
			var ival int64
			for k := g * gs; k < (g+1)*gs; k++ {
				ival += int64(xq[k]) * int64(t.Q8[i*t.Cols+k])
			}
			sum += float64(ival) * float64(t.Scales[i*t.Cols/gs+g]) * float64(xs[g])
		}
		out[i] = float32(sum)
	}
	return nil
}

func (p *precise) RMSNorm(out, x []float32, w kernels.Weight) error {
	t := w.(kernels.Tensor)
	ss := dot(x, x)/float64(len(x)) + 1e-5
	scale := 1 / math.Sqrt(ss)
	for j := range x {
		out[j] = float32(float64(t.F32[j]) * scale * float64(x[j]))
	}
	return nil
}

func (p *precise) RoPE(q, k []float32, pos int) error {
	hs := p.shape.HeadSize()
	for i := 0; i < len(q); i += 2 {
		angle := float64(pos) * math.Pow(10000, -float64(i%hs)/float64(hs))
		sin, cos := math.Sincos(angle)
		for _, v := range [][]float32{q, k} {
			if i < len(v) {
				v0, v1 := float64(v[i]), float64(v[i+1])
				v[i], v[i+1] = float32(v0*cos-v1*sin), float32(v0*sin+v1*cos)
			}
		}
	}
	return nil
}

func (p *precise) Attention(out, q, keys, values []float32, pos int) error {
	s := p.shape
	hs, kvDim, kvMul := s.HeadSize(), s.KVDim(), s.Heads/s.KVHeads
	att := make([]float64, pos+1)
	for h := range s.Heads {
		qh := q[h*hs : (h+1)*hs]
		off := (h / kvMul) * hs
		for t := range att {
			att[t] = dot(qh, keys[t*kvDim+off:t*kvDim+off+hs]) / math.Sqrt(float64(hs))
		}
		softmax64(att)
		for i := range hs {
			var sum float64
			for t, a := range att {
				sum += a * float64(values[t*kvDim+off+i])
			}
			out[h*hs+i] = float32(sum)
		}
	}
	return nil
}

func (p *precise) SwiGLU(gate, up []float32) error {
	for i, g := range gate {
		v := float64(g)
		gate[i] = float32(v / (1 + math.Exp(-v)) * float64(up[i]))
	}
	return nil
}

func (p *precise) Softmax(x []float32) error {
	v := make([]float64, len(x))
	for i := range x {
		v[i] = float64(x[i])
	}
	softmax64(v)
	for i := range x {
		x[i] = float32(v[i])
	}
	return nil
}

func dot(a, b []float32) float64 {
	var sum float64
	for i := range a {
		sum += float64(a[i]) * float64(b[i])
	}
	return sum
}

func softmax64(x []float64) {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, v)
	}
	var sum float64
	for i, v := range x {
		x[i] = math.Exp(v - m)
		sum += x[i]
	}
	for i := range x {
		x[i] /= sum
	}
}

// TestDifferentRoundingPasses: in NMSE mode a float64 provider passes
// every default case, with NMSE well under the thresholds; the margins
// are logged. (Exact mode fails it: TestDifferentRoundingFailsExact.)
func TestDifferentRoundingPasses(t *testing.T) {
	results := conformance.Run("precise", func() kernels.Provider { return &precise{} }, conformance.Options{Short: testing.Short() || raceflag.Enabled, Mode: conformance.NMSE})
	worst := map[string]conformance.Result{} // by op, and "matmul q8_0"
	for _, r := range results {
		if !r.Passed() {
			t.Error(r)
		}
		key := string(r.Op)
		if strings.Contains(r.Case, "q8_0") {
			key += " q8_0"
		}
		if r.NMSE >= worst[key].NMSE {
			worst[key] = r
		}
	}
	for _, op := range kernels.AllOps() {
		for _, key := range []string{string(op), string(op) + " q8_0"} {
			if r, ok := worst[key]; ok {
				t.Logf("%-12s worst NMSE %.2g on %q (threshold %.0e)", key, r.NMSE, r.Case, conformance.Thresholds()[op])
			}
		}
	}
}

// TestDifferentRoundingFailsExact: the float64 provider of
// precise_test.go, correct but not llama2.c's arithmetic, passes NMSE
// mode (TestDifferentRoundingPasses) and fails exact mode on the ops
// whose rounding it changes, each failure naming the first differing
// value.
func TestDifferentRoundingFailsExact(t *testing.T) {
	results := conformance.Run("precise", func() kernels.Provider { return &precise{} }, conformance.Options{Short: testing.Short() || raceflag.Enabled})
	failed := map[kernels.Op]int{}
	for _, r := range results {
		if r.Passed() {
			continue
		}
		failed[r.Op]++
		if r.Mismatch == nil || !strings.Contains(r.Failure, "not bit-identical") {
			t.Errorf("failure without the differing value: %s", r)
		}
	}
	for _, op := range kernels.AllOps() {
		if failed[op] == 0 {
			t.Errorf("%s: float64 arithmetic passed exact mode on every call", op)
		}
	}
	t.Logf("failed calls per op in exact mode: %v of %d", failed, len(results))
}
