package ops

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	benchmodel "github.com/retrollama/retrollama/internal/bench"
	"github.com/retrollama/retrollama/internal/host/synthetic"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// sweepReport runs a real (tiny) sweep and wraps it in a report.
func sweepReport(t *testing.T) (*SweepReport, []Result) {
	t.Helper()
	res, err := Sweep("builtin.scalar", func() (kernels.Provider, error) { return scalar.New(), nil },
		[]string{"stories260K"}, []kernels.DType{kernels.F32, kernels.Q8_0}, time.Microsecond)
	if err != nil {
		t.Fatal(err)
	}
	env := benchmodel.Environment{GOOS: "linux", GOARCH: "amd64", CPU: "test CPU", Providers: map[string]string{"builtin.scalar": "builtin:scalar"}}
	r, err := NewSweepReport(res, env, SweepSettings{Models: []string{"stories260K"}, DTypes: []string{"f32", "q8_0"}, Threads: 1, MinTimeNs: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return r, res
}

// TestSweepJSONRoundTrip: what is written reads back equal, and its
// results give back the same table.
func TestSweepJSONRoundTrip(t *testing.T) {
	r, res := sweepReport(t)
	r.ReadBandwidthGBs = 12.5
	if len(r.Results) != len(res) {
		t.Fatalf("%d rows for %d results", len(r.Results), len(res))
	}
	for _, s := range r.Results {
		wantWeights := 4 * float64(s.Rows*s.Cols)
		if s.DType == "q8_0" {
			wantWeights = float64(s.Rows*s.Cols) * (1 + 4/float64(s.GroupSize))
		}
		if s.WeightBytes != wantWeights || s.FLOPsPerOp != 2*float64(s.Rows*s.Cols) ||
			s.BytesPerOp != wantWeights+4*float64(s.Rows+s.Cols) {
			t.Errorf("%s %s %s: counted work %+v", s.Model, s.Tensor, s.DType, s)
		}
		if got := s.WeightBytes / s.NsPerOp; !near(got, s.GBs) {
			t.Errorf("gb_per_s %v, want weight_bytes/ns_per_op %v", s.GBs, got)
		}
		if got := s.FLOPsPerOp / s.NsPerOp; !near(got, s.GFLOPs) {
			t.Errorf("gflop_per_s %v, want flops_per_op/ns_per_op %v", s.GFLOPs, got)
		}
	}
	var buf bytes.Buffer
	if err := WriteSweepJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	back, err := ReadSweepJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	r.Created = r.Created.Round(0) // drop the monotonic clock reading
	if !reflect.DeepEqual(back, r) {
		t.Errorf("read back\n%+v\nwrote\n%+v", back, r)
	}
	var want, got strings.Builder
	if err := Write(&want, res); err != nil {
		t.Fatal(err)
	}
	if err := Write(&got, back.AsResults()); err != nil {
		t.Fatal(err)
	}
	if want.String() != got.String() {
		t.Errorf("table from JSON\n%s\ndiffers from the sweep's\n%s", got.String(), want.String())
	}
}

func near(a, b float64) bool { return a == b || (a-b)/b < 1e-12 && (b-a)/b < 1e-12 }

// TestReadSweepFixture pins schema version 1's field names: a file of it
// must stay readable, unknown fields ignored.
func TestReadSweepFixture(t *testing.T) {
	f, err := os.Open("testdata/sweep_v1.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := ReadSweepJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	want := SweepResult{Provider: "builtin.avx2", Model: "stories15M", Tensor: "wq", Rows: 288, Cols: 288, DType: "q8_0",
		GroupSize: 32, Calls: 9000, NsPerOp: 11000.5, FLOPsPerOp: 165888, WeightBytes: 93312, BytesPerOp: 95616, GFLOPs: 15.08, GBs: 8.48}
	if len(r.Results) != 2 || r.Results[1] != want || r.ReadBandwidthGBs != 11.5 || r.Env.CPU != "AMD EPYC 7551 32-Core Processor" ||
		r.Settings.MinTimeNs != 1e8 || r.Created != time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) {
		t.Errorf("fixture read as %+v", r)
	}
}

func TestReadSweepJSONRejects(t *testing.T) {
	fixture, err := os.ReadFile("testdata/sweep_v1.json")
	if err != nil {
		t.Fatal(err)
	}
	good := string(fixture)
	tests := []struct {
		name, input, want string
	}{
		{"empty", " \n", "empty input"},
		{"truncated", good[:len(good)/2], "truncated"},
		{"trailing", good + "{}", "after the sweep"},
		{"array", "[1]", "JSON object"},
		{"a bench report", `{"schema": 1, "created": "2025-01-02T03:04:05Z", "profiles": []}`, `kind ""`},
		{"newer schema", strings.Replace(good, `"schema": 1`, `"schema": 2`, 1), "schema version 2"},
		{"no schema", strings.Replace(good, `"schema": 1,`, ``, 1), `missing "schema"`},
		{"missing fields", strings.NewReplacer(`"goos": "linux"`, `"goos": ""`, `"group_size": 32`, `"group_size": 0`,
			`"dtype": "f32"`, `"dtype": "f16"`, `"ns_per_op": 20000`, `"ns_per_op": 0`).Replace(good),
			"environment.goos, results[0].ns_per_op, results[0].dtype, results[1].group_size"},
		{"wrong type", strings.Replace(good, `"rows": 288`, `"rows": "288"`, 1), "decoding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadSweepJSON(strings.NewReader(tt.input))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestNewSweepReportRejects: Measure's other ops have no shape to save.
func TestNewSweepReportRejects(t *testing.T) {
	ck, err := synthetic.Model("stories260K")
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	res, err := Measure("builtin.scalar", scalar.New(), ck, time.Microsecond)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewSweepReport(res, benchmodel.Environment{}, SweepSettings{}); err == nil || !strings.Contains(err.Error(), "result 0") {
		t.Errorf("Measure's results (no model): %v", err)
	}
}
