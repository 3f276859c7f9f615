package dispatch

import (
	"errors"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

var shape = kernels.Shape{Dim: 4, HiddenDim: 8, Heads: 2, KVHeads: 1, SeqLen: 4, VocabSize: 6}

// flaky is a provider that fails every matmul, and declines matrices with
// more than maxRows rows.
type flaky struct {
	*scalar.Provider
	maxRows int
	calls   int
}

var errBroken = errors.New("kernel exploded")

func (f *flaky) Name() string { return "flaky" }
func (f *flaky) Supports(q kernels.Query) kernels.Support {
	if q.Op == kernels.MatMul && q.Rows > f.maxRows {
		return kernels.Support{Reason: "too many rows"}
	}
	return kernels.Support{OK: true}
}
func (f *flaky) MatMul(out []float32, w kernels.Weight, x []float32) error {
	f.calls++
	return errBroken
}

func planFor(p kernels.Provider, fallback bool) Plan {
	plan := Uniform(p, "test.flaky")
	plan.Fallback = fallback
	return plan
}

func TestChoosesPerTensorAndRecordsWhy(t *testing.T) {
	f := &flaky{Provider: scalar.New(), maxRows: 4}
	tab, err := New(planFor(f, true), shape)
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Close()
	small, err := tab.Prepare(kernels.MatMul, matrix("wq", 4, 4, make([]float32, 16)))
	if err != nil {
		t.Fatal(err)
	}
	big, err := tab.Prepare(kernels.MatMul, matrix("classifier", 6, 4, make([]float32, 24)))
	if err != nil {
		t.Fatal(err)
	}
	if small.provider != kernels.Provider(f) {
		t.Errorf("wq went to %s, want flaky", small.provider.Name())
	}
	if big.provider == kernels.Provider(f) {
		t.Errorf("classifier went to flaky, which declined it")
	}
	ds := tab.Decisions()
	last := ds[len(ds)-1]
	if last.Chosen != "builtin.scalar" || len(last.Passed) != 1 || !strings.Contains(last.Passed[0], "too many rows") {
		t.Errorf("classifier decision = %+v", last)
	}
	if !strings.Contains(last.String(), "classifier 6×4") {
		t.Errorf("decision text %q", last.String())
	}
}

// flakyTable is a table whose matmul runs on a provider that fails every
// call (maxRows 10 lets it take the weight), with fallback or without, and
// a 2×2 matrix prepared on it; the table is closed when the test ends.
func flakyTable(t *testing.T, fallback bool) (*flaky, *Table, *Prepared) {
	t.Helper()
	f := &flaky{Provider: scalar.New(), maxRows: 10}
	tab, err := New(planFor(f, fallback), shape)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tab.Close() })
	w, err := tab.Prepare(kernels.MatMul, matrix("w", 2, 2, []float32{1, 2, 3, 4}))
	if err != nil {
		t.Fatal(err)
	}
	return f, tab, w
}

func TestFallbackRedoesOnReference(t *testing.T) {
	f, tab, w := flakyTable(t, true)
	out := make([]float32, 2)
	tab.MatMul(out, w, []float32{1, 1})
	tab.MatMul(out, w, []float32{1, 0})
	if err := tab.Err(); err != nil {
		t.Fatalf("fallback still failed: %v", err)
	}
	if out[0] != 1 || out[1] != 3 {
		t.Errorf("out = %v, want [1 3] from the reference", out)
	}
	if f.calls != 1 {
		t.Errorf("flaky called %d times; after the first failure matmul must stay on the reference", f.calls)
	}
}

func TestFailStopsWithStickyError(t *testing.T) {
	f, tab, w := flakyTable(t, false)
	out := make([]float32, 2)
	tab.MatMul(out, w, []float32{1, 1})
	tab.MatMul(out, w, []float32{1, 1})
	err := tab.Err()
	if !errors.Is(err, errBroken) || !strings.Contains(err.Error(), "matmul on provider flaky") {
		t.Fatalf("Err() = %v", err)
	}
	if f.calls != 1 {
		t.Errorf("ops after the first failure ran %d times", f.calls-1)
	}
}

func TestUnusableCandidateIsPassedOver(t *testing.T) {
	plan := Plan{Candidates: map[kernels.Op][]Candidate{
		kernels.Softmax: {{Label: "builtin.avx9", Unusable: "needs AVX9"}},
	}}
	tab, err := New(plan, shape)
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Close()
	for _, d := range tab.Decisions() {
		if d.Op == kernels.Softmax && (d.Chosen != "builtin.scalar" || len(d.Passed) != 1 || !strings.Contains(d.Passed[0], "needs AVX9")) {
			t.Errorf("softmax decision = %+v", d)
		}
	}
}

func TestTiming(t *testing.T) {
	tab, err := New(Uniform(scalar.New(), "builtin.scalar"), shape)
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Close()
	w, _ := tab.Prepare(kernels.MatMul, matrix("w", 2, 2, []float32{1, 2, 3, 4}))
	out := make([]float32, 2)
	tab.MatMul(out, w, []float32{1, 1})
	if len(tab.Timings()) != 0 {
		t.Fatal("timing is off by default")
	}
	tab.SetTiming(true)
	for range 3 {
		tab.MatMul(out, w, []float32{1, 1})
	}
	_ = tab.Softmax(out)
	ts := tab.Timings()
	if len(ts) != 2 || ts[0].Op != kernels.MatMul || ts[0].Calls != 3 || ts[1].Op != kernels.Softmax || ts[1].Calls != 1 {
		t.Errorf("timings = %+v", ts)
	}
	x := []float32{1, 1}
	allocs := testing.AllocsPerRun(20, func() { tab.MatMul(out, w, x) })
	if allocs != 0 {
		t.Errorf("timed MatMul allocates %v", allocs)
	}
}

// broken fails where it is told to: at Init or at Prepare.
type broken struct {
	*scalar.Provider
	initErr, prepareErr error
	closed              bool
}

func (b *broken) Name() string             { return "broken" }
func (b *broken) Init(kernels.Shape) error { return b.initErr }
func (b *broken) Prepare(t kernels.Tensor) (kernels.Weight, error) {
	if b.prepareErr != nil {
		return nil, b.prepareErr
	}
	return b.Provider.Prepare(t)
}
func (b *broken) Close() error { b.closed = true; return nil }

// TestStartFailures checks on_error for a provider that fails before the
// first op: with fallback it is passed over (Init) or leaves the tensor to
// the reference (Prepare), and says why; with fail the error stops the
// load.
func TestStartFailures(t *testing.T) {
	for _, c := range []struct {
		name     string
		p        *broken
		fallback bool
		wantErr  string
	}{
		{"init/fail", &broken{initErr: errBroken}, false, "init kernel provider broken: kernel exploded"},
		{"init/fallback", &broken{initErr: errBroken}, true, ""},
		{"prepare/fail", &broken{prepareErr: errBroken}, false, "prepare w on broken: kernel exploded"},
		{"prepare/fallback", &broken{prepareErr: errBroken}, true, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.p.Provider = scalar.New()
			tab, err := New(planFor(c.p, c.fallback), shape)
			if err == nil {
				defer tab.Close()
				_, err = tab.Prepare(kernels.MatMul, matrix("w", 2, 2, []float32{1, 2, 3, 4}))
			}
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ds := tab.Decisions()
			last := ds[len(ds)-1]
			if last.Chosen != "builtin.scalar" || len(last.Passed) == 0 || !strings.Contains(strings.Join(last.Passed, ";"), "kernel exploded") {
				t.Errorf("decision %+v does not record the failure", last)
			}
			if c.p.initErr != nil && !c.p.closed {
				t.Errorf("a provider that failed to start was not closed")
			}
		})
	}
}

// matrix is an fp32 weight matrix for Prepare.
func matrix(name string, rows, cols int, data []float32) kernels.Tensor {
	return kernels.Tensor{Name: name, DType: kernels.F32, Rows: rows, Cols: cols, F32: data}
}

// TestGroupDecisions: decisions that agree on op, shape, dtype and
// outcome share a line, in first-seen order, with their tensor kinds
// counted and sorted; weightless ops say "all calls".
func TestGroupDecisions(t *testing.T) {
	wq := func(l string) Decision {
		return Decision{Op: kernels.MatMul, Tensor: "layers." + l + ".wq", Rows: 288, Cols: 288, DType: kernels.F32, Chosen: "unrolled"}
	}
	wo := func(l string) Decision {
		d := wq(l)
		d.Tensor = "layers." + l + ".wo"
		return d
	}
	tests := []struct {
		name string
		ds   []Decision
		want []string // each group's op, chosen and use
	}{
		{"none", nil, nil},
		{"weightless", []Decision{{Op: kernels.Softmax, Chosen: "scalar"}, {Op: kernels.Softmax, Chosen: "scalar"}}, []string{"softmax scalar all calls"}},
		{"counted-and-sorted", []Decision{wq("0"), wo("0"), wq("1"), wo("1"), {Op: kernels.MatMul, Tensor: "classifier", Rows: 512, Cols: 288, DType: kernels.F32, Chosen: "unrolled"}},
			[]string{"matmul unrolled 288×288 wo×2, wq×2", "matmul unrolled 512×288 classifier"}},
		{"dtype-shown", []Decision{{Op: kernels.MatMul, Tensor: "layers.0.w1", Rows: 768, Cols: 288, DType: kernels.Q8_0, Chosen: "scalar"}},
			[]string{"matmul scalar 768×288 q8_0 w1"}},
		{"outcome-splits", []Decision{wq("0"), func() Decision { d := wq("1"); d.Chosen = "scalar"; d.Passed = []string{"unrolled: no"}; return d }()},
			[]string{"matmul unrolled 288×288 wq", "matmul scalar 288×288 wq"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, g := range GroupDecisions(tt.ds) {
				got = append(got, string(g.Decision.Op)+" "+g.Decision.Chosen+" "+g.Use)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("groups\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
