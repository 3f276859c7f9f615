package mmx

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/kernels/kerneltest"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/conformance"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// q8Shape is one Q8_0 matmul test shape.
type q8Shape struct{ rows, cols, gs int }

// q8Shapes covers every group size of groupSizes with rows 1..9 (two
// four-row blocks and every remainder) and one, three and five groups,
// and with 768 columns on 1, 5 and 9 rows; groups larger than the 512
// values one MMX sum may hold (520 = 5·104, 1024 = 2·512, 1028 = 257·4,
// 1030 = 5·206); and the real shapes.
func q8Shapes() []q8Shape {
	var shapes []q8Shape
	for _, gs := range groupSizes {
		for rows := 1; rows <= 9; rows++ {
			for _, groups := range []int{1, 3, 5} {
				shapes = append(shapes, q8Shape{rows, groups * gs, gs})
			}
			if 768%gs == 0 && rows%4 == 1 {
				shapes = append(shapes, q8Shape{rows, 768, gs})
			}
		}
	}
	for _, gs := range []int{520, 1024, 1028, 1030} {
		shapes = append(shapes, q8Shape{5, gs, gs}, q8Shape{2, 2 * gs, gs})
	}
	return append(shapes,
		q8Shape{64, 172, 4}, q8Shape{172, 64, 4}, q8Shape{512, 64, 4}, // stories260K w2, w1, classifier
		q8Shape{288, 288, 32}, q8Shape{768, 288, 32}, q8Shape{288, 768, 32}) // stories15M
}

// check runs the mmx provider and the scalar reference on one call and
// fails unless their outputs have the same bits; out is guarded.
func check(t *testing.T, what string, ref, p kernels.Provider, tensor kernels.Tensor, x []float32) {
	t.Helper()
	want := make([]float32, tensor.Rows)
	wr := kerneltest.Prepare(t, ref, tensor)
	kerneltest.Must(t, ref.MatMul(want, wr, x))
	got, intact := kerneltest.GuardedOut(t, tensor.Rows)
	w := kerneltest.Prepare(t, p, tensor)
	kerneltest.Must(t, p.MatMul(got, w, x))
	intact(what)
	if i := kerneltest.Mismatch(got, want); i >= 0 {
		t.Fatalf("%s (fast path %v): out[%d] = %v (%#08x), want %v (%#08x)", what, fastPath(p, w),
			i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
	}
}

// fastPath reports whether p's last MatMul with w took the x87 scaling.
func fastPath(p kernels.Provider, w kernels.Weight) bool {
	m := w.(*matrix)
	return m.lay.exact && m.safe && scalesSafe(p.(*Provider).xs[:m.lay.ng])
}

// TestMatMulRandom: runq.c-quantized random weights and x, on every
// shape, with and without an all-zero group in x and in the last row.
func TestMatMulRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	ref, p := kerneltest.Initialised(t, scalar.New(), testShape), kerneltest.Initialised(t, New(), testShape)
	for _, sh := range q8Shapes() {
		for _, zero := range []bool{false, true} {
			w, x := kerneltest.Random(r, sh.rows*sh.cols), kerneltest.Random(r, sh.cols)
			if zero {
				clear(x[:sh.gs])
				clear(w[(sh.rows-1)*sh.cols : (sh.rows-1)*sh.cols+sh.gs])
			}
			check(t, fmt.Sprintf("%+v zero group %v", sh, zero), ref, p, kerneltest.Q8Tensor(w, sh.rows, sh.cols, sh.gs), x)
		}
	}
}

// TestMatMulExtremes: weights and activations at the ends of int8
// (±127 and -128, which runq.c's quantizer produces for subnormal
// groups and a hostile file may hold anywhere), every value extreme
// at once (the largest integer sums), and scales from subnormal to
// huge, zero and infinite, on the fast and the exact path.
func TestMatMulExtremes(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	ref, p := kerneltest.Initialised(t, scalar.New(), testShape), kerneltest.Initialised(t, New(), testShape)
	sub := math.Float32frombits(1)
	scales := map[string]func() float32{
		"unit":         func() float32 { return 1 },
		"typical":      func() float32 { return r.Float32() / 127 },
		"fast edge":    func() float32 { return []float32{0x1p-63, 0x1p40 * (1 - 0x1p-24), 0}[r.IntN(3)] },
		"tiny":         func() float32 { return float32(math.Ldexp(r.Float64(), -100-r.IntN(49))) },
		"huge":         func() float32 { return float32(math.Ldexp(r.Float64()+1, 60+r.IntN(67))) },
		"mixed":        func() float32 { return math.Float32frombits(r.Uint32() & 0x7F7FFFFF) },
		"subnormal":    func() float32 { return sub * float32(r.IntN(1<<23)) },
		"inf and zero": func() float32 { return []float32{float32(math.Inf(1)), 0, 1}[r.IntN(3)] },
		// Negative scales and -0: a row of one group is then 0 + its
		// product, where -0 becomes +0.
		"signed": func() float32 {
			return []float32{-r.Float32() / 127, float32(math.Copysign(0, -1)), r.Float32() / 127}[r.IntN(3)]
		},
	}
	values := map[string]func() int8{
		"random": func() int8 { return int8(r.Uint32()) },
		"-128":   func() int8 { return -128 },
		"±127":   func() int8 { return []int8{127, -127}[r.IntN(2)] },
		"ends":   func() int8 { return []int8{127, -127, -128, 0}[r.IntN(4)] },
	}
	xs := map[string]func(n int) []float32{
		"uniform": func(n int) []float32 { return kerneltest.Random(r, n) },
		// Groups of one large value and subnormals: scale 2^-149 or so,
		// quantized values wrapping to -128..127, and -128 itself.
		"wrapping": func(n int) []float32 {
			x := make([]float32, n)
			for i := range x {
				x[i] = sub * float32(r.IntN(400)-200)
			}
			return x
		},
		"all -128": func(n int) []float32 {
			x := make([]float32, n)
			for i := range x {
				x[i] = -128 * sub // every group: scale 2^-149, q = -128
				if i%4 == 0 {
					x[i] = 128 * sub
				}
			}
			return x
		},
		"huge":  func(n int) []float32 { return scaled(kerneltest.Random(r, n), 100) },
		"tiny":  func(n int) []float32 { return scaled(kerneltest.Random(r, n), -100) },
		"zeros": func(n int) []float32 { return make([]float32, n) },
	}
	shapes := []q8Shape{{5, 64, 4}, {6, 96, 32}, {3, 72, 8}, {2, 36, 12}, {5, 1024, 512}, {3, 30, 3}, {2, 1040, 520}, {7, 64, 64}, {6, 44, 44}}
	for sn, sf := range scales {
		for vn, vf := range values {
			for xn, xf := range xs {
				for _, sh := range shapes {
					tensor := kernels.Tensor{Name: "extreme", DType: kernels.Q8_0, Rows: sh.rows, Cols: sh.cols, GroupSize: sh.gs,
						Q8: make([]int8, sh.rows*sh.cols), Scales: make([]float32, sh.rows*sh.cols/sh.gs)}
					for i := range tensor.Q8 {
						tensor.Q8[i] = vf()
					}
					for i := range tensor.Scales {
						tensor.Scales[i] = sf()
					}
					check(t, fmt.Sprintf("scales %s, values %s, x %s, %+v", sn, vn, xn, sh), ref, p, tensor, xf(sh.cols))
				}
			}
		}
	}
}

// scaled multiplies every value by 2^e, in float64.
func scaled(x []float32, e int) []float32 {
	for i := range x {
		x[i] = float32(math.Ldexp(float64(x[i]), e))
	}
	return x
}

// TestPaths checks which path the test inputs take, so that both are
// known to be covered: the x87 scaling for real-looking data, runq.c's
// Go expression for groups of more than 512 values and for scales
// outside [2^-63, 2^40).
func TestPaths(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	p := kerneltest.Initialised(t, New(), testShape)
	tests := []struct {
		name   string
		tensor kernels.Tensor
		x      []float32
		fast   bool
	}{
		{"kerneltest.Stories15M()", kerneltest.Q8Tensor(kerneltest.Random(r, 8*288), 8, 288, 32), kerneltest.Random(r, 288), true},
		{"gs 4", kerneltest.Q8Tensor(kerneltest.Random(r, 8*172), 8, 172, 4), kerneltest.Random(r, 172), true},
		{"gs 3, padded", kerneltest.Q8Tensor(kerneltest.Random(r, 8*30), 8, 30, 3), kerneltest.Random(r, 30), true},
		{"gs 512", kerneltest.Q8Tensor(kerneltest.Random(r, 2*1024), 2, 1024, 512), kerneltest.Random(r, 1024), true},
		{"gs 1024", kerneltest.Q8Tensor(kerneltest.Random(r, 2*1024), 2, 1024, 1024), kerneltest.Random(r, 1024), false},
		{"huge x", kerneltest.Q8Tensor(kerneltest.Random(r, 8*64), 8, 64, 32), scaled(kerneltest.Random(r, 64), 60), false},
		{"tiny weights", kerneltest.Q8Tensor(scaled(kerneltest.Random(r, 8*64), -70), 8, 64, 32), kerneltest.Random(r, 64), false},
	}
	for _, tc := range tests {
		w := kerneltest.Prepare(t, p, tc.tensor)
		kerneltest.Must(t, p.MatMul(make([]float32, tc.tensor.Rows), w, tc.x))
		if got := fastPath(p, w); got != tc.fast {
			t.Errorf("%s: fast path %v, want %v", tc.name, got, tc.fast)
		}
	}
}

func TestLayouts(t *testing.T) {
	tests := []struct {
		cols, gs int
		want     layout
	}{
		{288, 32, layout{gs: 32, ng: 9, d: 32, nsub: 9, wgs: 32, p: 32, nlg: 9, nx: 288, exact: true}},
		{172, 4, layout{gs: 4, ng: 43, d: 4, nsub: 43, split: true, wgs: 8, p: 8, nlg: 22, nx: 176, over: 4, exact: true}},
		{64, 4, layout{gs: 4, ng: 16, d: 4, nsub: 16, split: true, wgs: 8, p: 8, nlg: 8, nx: 64, exact: true}},
		{30, 3, layout{gs: 3, ng: 10, d: 3, nsub: 10, padded: true, wgs: 3, p: 8, nlg: 10, nx: 80, over: 5, exact: true}},
		{36, 12, layout{gs: 12, ng: 3, d: 12, nsub: 3, padded: true, wgs: 12, p: 16, nlg: 3, nx: 48, over: 4, exact: true}},
		{1040, 520, layout{gs: 520, ng: 2, d: 104, nsub: 10, wgs: 104, p: 104, nlg: 10, nx: 1040}},
		{1028, 1028, layout{gs: 1028, ng: 1, d: 4, nsub: 257, split: true, wgs: 8, p: 8, nlg: 129, nx: 1032, over: 4}},
		{1030, 1030, layout{gs: 1030, ng: 1, d: 206, nsub: 5, padded: true, wgs: 206, p: 208, nlg: 5, nx: 1040, over: 2}},
	}
	for _, tc := range tests {
		if got := newLayout(tc.cols, tc.gs); got != tc.want {
			t.Errorf("newLayout(%d, %d) =\n%+v, want\n%+v", tc.cols, tc.gs, got, tc.want)
		}
	}
}

// TestKernelsMatchGo compares the kernels in use (the assembly on 386)
// with their Go definitions, call by call: widen on random bytes, and
// matQ8's integer sums (every layout, every remainder block) and fast
// scaling.
func TestKernelsMatchGo(t *testing.T) {
	if !asmKernels {
		t.Skip("the kernels are the Go definitions on this GOARCH")
	}
	r := rand.New(rand.NewPCG(11, 12))
	q := make([]int8, 256)
	for i := range q {
		q[i] = int8(r.Uint32())
	}
	got, want := make([]int16, len(q)+8), make([]int16, len(q)+8)
	widen(got[:len(q)], q)
	widenGo(want[:len(q)], q)
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("widen: x16[%d] = %d, want %d", i, got[i], want[i])
		}
	}
	for _, sh := range []q8Shape{{9, 64, 8}, {7, 64, 4}, {6, 60, 4}, {5, 30, 3}, {3, 1040, 520}, {4, 96, 32}, {13, 64, 64}, {12, 172, 172}, {11, 4, 4}, {8, 288, 32}} {
		tensor := kerneltest.Q8Tensor(kerneltest.Random(r, sh.rows*sh.cols), sh.rows, sh.cols, sh.gs)
		for i := range tensor.Q8 {
			tensor.Q8[i] = int8(r.Uint32())
		}
		p := kerneltest.Initialised(t, New(), testShape).(*Provider)
		wt := kerneltest.Prepare(t, p, tensor)
		m := wt.(*matrix)
		l := &m.lay
		x := kerneltest.Random(r, sh.cols)
		// As MatMul prepares x.
		quantize(p.q[:sh.cols], p.xs[:l.ng], x, sh.gs)
		src := p.q
		if l.split {
			clear(p.q[sh.cols:l.nx])
		}
		if l.padded {
			clear(p.qp[:l.nx])
			for s := range l.nsub {
				copy(p.qp[s*l.p:], p.q[s*l.d:(s+1)*l.d])
			}
			src = p.qp
		}
		widen(p.x16[:l.nx], src[:l.nx])
		rows := sh.rows - 1 // the last row may be read past its end
		ns := l.subs()
		for _, nr := range []int{rows, 1, min(rows, 5), min(rows, 6)} {
			gotI, wantI := make([]int32, ivalsLen(nr, ns)), make([]int32, ivalsLen(nr, ns))
			matQ8(nil, m.q, nil, p.x16, p.xs, gotI, nr, sh.cols, l.ng, l.wgs, l.p, l.nlg, l.split, false, false)
			matQ8Go(nil, m.q, nil, p.x16, p.xs, wantI, nr, sh.cols, l.ng, l.wgs, l.p, l.nlg, l.split, false, false)
			for j := range gotI {
				if gotI[j] != wantI[j] {
					t.Fatalf("%+v %d rows: ivals[%d] = %d, want %d", sh, nr, j, gotI[j], wantI[j])
				}
			}
		}
		if l.exact {
			for _, pos := range []bool{false, m.pos} {
				gotO, wantO := make([]float32, rows), make([]float32, rows)
				matQ8(gotO, m.q, m.scales, p.x16, p.xs, make([]int32, ivalsLen(rows, ns)), rows, sh.cols, l.ng, l.wgs, l.p, l.nlg, l.split, true, pos)
				matQ8Go(wantO, m.q, m.scales, p.x16, p.xs, make([]int32, ivalsLen(rows, ns)), rows, sh.cols, l.ng, l.wgs, l.p, l.nlg, l.split, true, pos)
				if i := kerneltest.Mismatch(gotO, wantO); i >= 0 {
					t.Fatalf("%+v fast (pos %v): out[%d] = %v, want %v", sh, pos, i, gotO[i], wantO[i])
				}
			}
		}
	}
}

// TestMatMulEmpty: no rows, and rows of no columns (all sums are 0).
func TestMatMulEmpty(t *testing.T) {
	ref, p := kerneltest.Initialised(t, scalar.New(), testShape), kerneltest.Initialised(t, New(), testShape)
	for _, sh := range []q8Shape{{0, 64, 32}, {3, 0, 4}, {5, 0, 3}, {0, 0, 1}} {
		tensor := kernels.Tensor{Name: "empty", DType: kernels.Q8_0, Rows: sh.rows, Cols: sh.cols, GroupSize: sh.gs,
			Q8: make([]int8, sh.rows*sh.cols), Scales: make([]float32, sh.rows*sh.cols/sh.gs)}
		check(t, fmt.Sprintf("%+v", sh), ref, p, tensor, make([]float32, sh.cols))
	}
}

// TestMatMulReuse: one provider, matrices of different layouts in turn
// (the shared buffers must not carry one layout's padding into another).
func TestMatMulReuse(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	ref, p := kerneltest.Initialised(t, scalar.New(), testShape), kerneltest.Initialised(t, New(), testShape)
	var tensors []kernels.Tensor
	for _, sh := range []q8Shape{{5, 60, 3}, {5, 60, 4}, {5, 60, 12}, {5, 64, 32}, {5, 60, 5}} {
		tensors = append(tensors, kerneltest.Q8Tensor(kerneltest.Random(r, sh.rows*sh.cols), sh.rows, sh.cols, sh.gs))
	}
	for round := range 3 {
		for _, tensor := range tensors {
			check(t, fmt.Sprintf("round %d gs %d", round, tensor.GroupSize), ref, p, tensor, kerneltest.Random(r, tensor.Cols))
		}
	}
}

// TestMatMulNoAllocation: on every layout, including the last-row copy.
func TestMatMulNoAllocation(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	p := kerneltest.Initialised(t, New(), kerneltest.Stories15M())
	for _, sh := range []q8Shape{{9, 288, 32}, {7, 172, 4}, {5, 30, 3}, {3, 1024, 1024}, {5, 1024, 64}} {
		tensor, x := kerneltest.Q8Tensor(kerneltest.Random(r, sh.rows*sh.cols), sh.rows, sh.cols, sh.gs), kerneltest.Random(r, sh.cols)
		w := kerneltest.Prepare(t, p, tensor)
		out := make([]float32, sh.rows)
		kerneltest.AssertNoAllocs(t, fmt.Sprintf("%+v", sh), 10, func() error { return p.MatMul(out, w, x) })
	}
}

func TestSupports(t *testing.T) {
	p := New()
	for _, op := range kernels.AllOps() {
		for _, dt := range []kernels.DType{kernels.F32, kernels.Q8_0} {
			got := p.Supports(kernels.Query{Op: op, DType: dt, Model: kerneltest.Stories15M(), Rows: 288, Cols: 288})
			want := op == kernels.MatMul && dt == kernels.Q8_0
			if got.OK != want || !want && !strings.Contains(got.Reason, "only the q8_0 matmul") {
				t.Errorf("%s %v: %+v, want ok=%v", op, dt, got, want)
			}
		}
	}
}

func TestPrepareRejects(t *testing.T) {
	p := kerneltest.Initialised(t, New(), testShape)
	ok := kernels.Tensor{Name: "ok", DType: kernels.Q8_0, Rows: 2, Cols: 4, GroupSize: 2, Q8: make([]int8, 8), Scales: make([]float32, 4)}
	if _, err := p.Prepare(ok); err != nil {
		t.Fatal(err)
	}
	tests := []kerneltest.TensorChange{
		{Name: "f32", Change: func(t *kernels.Tensor) { t.DType, t.F32 = kernels.F32, make([]float32, 8) }},
		{Name: "short values", Change: func(t *kernels.Tensor) { t.Q8 = t.Q8[:7] }},
		{Name: "short scales", Change: func(t *kernels.Tensor) { t.Scales = t.Scales[:3] }},
		{Name: "group not dividing", Change: func(t *kernels.Tensor) { t.GroupSize = 3 }},
		{Name: "zero group", Change: func(t *kernels.Tensor) { t.GroupSize = 0 }},
		{Name: "too large", Change: func(t *kernels.Tensor) { t.Rows, t.Cols = math.MaxInt/2, 4 }},
	}
	kerneltest.AssertPrepareRejects(t, p, ok, tests)
	for _, call := range []func() error{
		func() error { return p.MatMul(make([]float32, 2), "foreign", make([]float32, 4)) },
	} {
		if err := call(); err != kernels.ErrForeignWeight {
			t.Errorf("MatMul with a foreign weight: %v, want ErrForeignWeight", err)
		}
	}
	for _, err := range []error{p.RMSNorm(nil, nil, nil), p.RoPE(nil, nil, 0), p.Attention(nil, nil, nil, nil, 0), p.SwiGLU(nil, nil), p.Softmax(nil)} {
		if !errors.Is(err, kernels.ErrDeclined) {
			t.Errorf("declined op: %v", err)
		}
	}
}

// TestConformance runs the conformance suite on the pure-Go kernels of
// development machines; on 386 the builtin package's
// TestConformance/mmx runs it on the assembly (see p2_test.go).
func TestConformance(t *testing.T) {
	if asmKernels {
		t.Skip("on 386: internal/kernels/builtin's TestConformance/mmx")
	}
	conformance.Test(t, "mmx", func() kernels.Provider { return New() })
}

// TestUsable logs which kernels this build runs, and on 386 requires the
// CPU to be usable (the Pentium II is).
func TestUsable(t *testing.T) {
	err := Usable()
	switch {
	case asmKernels && err != nil:
		t.Fatalf("Usable: %v", err)
	case asmKernels:
		t.Log("mmx: running the MMX and x87 assembly")
	case err == nil || !strings.Contains(err.Error(), "only in the linux/386 build"):
		t.Fatalf("Usable: %v, want an error naming the 386 build", err)
	default:
		t.Logf("mmx: running the pure-Go kernels (%v)", err)
	}
}

// TestMatMulSameX: MatMul skips quantizing an x it quantized last time
// for the same layout. Weights prepared once, one x slice: the same x
// through matrices of equal and of different group sizes and widths, and
// x changed in place between calls (one value, 0 to -0, a NaN) must each
// give the reference's bits — a stale quantized x would not.
func TestMatMulSameX(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	ref, p := kerneltest.Initialised(t, scalar.New(), testShape), kerneltest.Initialised(t, New(), testShape)
	type prepared struct {
		tensor   kernels.Tensor
		ref, got kernels.Weight
	}
	var ws []prepared
	for _, sh := range []q8Shape{{7, 64, 64}, {9, 64, 64}, {7, 64, 4}, {5, 64, 16}, {6, 172, 43}, {6, 172, 172}} {
		tensor := kerneltest.Q8Tensor(kerneltest.Random(r, sh.rows*sh.cols), sh.rows, sh.cols, sh.gs)
		wr := kerneltest.Prepare(t, ref, tensor)
		wp := kerneltest.Prepare(t, p, tensor)
		ws = append(ws, prepared{tensor, wr, wp})
	}
	x := kerneltest.Random(r, 172)
	x[5] = 0
	call := func(what string, w prepared) {
		t.Helper()
		n := w.tensor.Cols
		want := make([]float32, w.tensor.Rows)
		kerneltest.Must(t, ref.MatMul(want, w.ref, x[:n]))
		got, intact := kerneltest.GuardedOut(t, w.tensor.Rows)
		kerneltest.Must(t, p.MatMul(got, w.got, x[:n]))
		intact(what)
		if i := kerneltest.Mismatch(got, want); i >= 0 {
			t.Fatalf("%s, gs %d: out[%d] = %v, want %v", what, w.tensor.GroupSize, i, got[i], want[i])
		}
	}
	for round := range 2 {
		for i, w := range ws {
			call(fmt.Sprintf("round %d matrix %d", round, i), w)
			call(fmt.Sprintf("round %d matrix %d again", round, i), w)
		}
	}
	for _, change := range []struct {
		name string
		f    func()
	}{
		{"one value", func() { x[3] *= 2 }},
		{"0 to -0", func() { x[5] = float32(math.Copysign(0, -1)) }},
		{"a NaN", func() { x[7] = float32(math.NaN()) }},
		{"the last value", func() { x[63] = -x[63] }},
	} {
		call("before "+change.name, ws[0])
		change.f()
		call("after "+change.name, ws[0])
		call("then wider", ws[4])
	}
}

// TestMatMulBatches: matrices of more rows than one matQ8 call takes
// (batchRows), on the x87 scaling and on the Go one (huge x scales, and
// groups of more than 512), so that the batches' rows, scales and ivals
// line up.
func TestMatMulBatches(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	ref, p := kerneltest.Initialised(t, scalar.New(), testShape), kerneltest.Initialised(t, New(), testShape)
	for _, sh := range []q8Shape{{232, 288, 32}, {2051, 8, 8}, {205, 1040, 520}, {123, 172, 4}} {
		l := newLayout(sh.cols, sh.gs)
		if ns := l.subs(); sh.rows <= batchRows(ns) {
			t.Fatalf("%+v: %d rows fit one batch of %d", sh, sh.rows, batchRows(ns))
		}
		tensor := kerneltest.Q8Tensor(kerneltest.Random(r, sh.rows*sh.cols), sh.rows, sh.cols, sh.gs)
		x := kerneltest.Random(r, sh.cols)
		check(t, fmt.Sprintf("%+v", sh), ref, p, tensor, x)
		check(t, fmt.Sprintf("%+v huge x", sh), ref, p, tensor, scaled(x, 60))
	}
}
