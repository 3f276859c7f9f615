package ops

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	benchmodel "github.com/retrollama/retrollama/internal/bench"
	"github.com/retrollama/retrollama/kernels"
)

// SweepSchemaVersion identifies the JSON layout of SweepReport. It rises
// whenever a field changes meaning or is removed (adding a field does not
// change it); ReadSweepJSON reads this version only.
const SweepSchemaVersion = 1

// SweepKind is the "kind" field of a sweep's JSON, which tells it apart
// from a "retrollama bench" report (bench.Report, which has no kind).
const SweepKind = "retrollama-ops-sweep"

// SweepReport is one "bench ops --sweep" run as saved in JSON: where it ran,
// how, and one row per provider, model, matmul shape and dtype timed.
//
// An example, abridged:
//
//	{
//	  "schema": 1,
//	  "kind": "retrollama-ops-sweep",
//	  "created": "2025-01-02T03:04:05Z",
//	  "environment": {"goos": "linux", "goarch": "amd64", "cpu": "AMD EPYC 7551", ...},
//	  "settings": {"models": ["stories15M"], "dtypes": ["f32", "q8_0"], "threads": 1, "min_time_ns": 100000000},
//	  "read_bandwidth_gb_per_s": 11.5,
//	  "results": [
//	    {"provider": "builtin.avx2", "model": "stories15M", "tensor": "wq", "rows": 288, "cols": 288,
//	     "dtype": "q8_0", "group_size": 32, "calls": 9000, "ns_per_op": 11000.5,
//	     "flops_per_op": 165888, "weight_bytes": 93312, "bytes_per_op": 95616,
//	     "gflop_per_s": 15.08, "gb_per_s": 8.48}
//	  ]
//	}
type SweepReport struct {
	Schema  int       `json:"schema"`  // SweepSchemaVersion
	Kind    string    `json:"kind"`    // SweepKind
	Created time.Time `json:"created"` // when the sweep ended, UTC
	// Env is the machine, build and kernels file (runner.HostEnvironment);
	// its model fields are empty: each result names its model shape.
	Env      benchmodel.Environment `json:"environment"`
	Settings SweepSettings          `json:"settings"`
	// ReadBandwidthGBs is a measured memory read bandwidth of this machine
	// in 1e9 bytes/s, drawn as a line on the GB/s chart; 0 (omitted) when
	// none was measured.
	ReadBandwidthGBs float64       `json:"read_bandwidth_gb_per_s,omitempty"`
	Results          []SweepResult `json:"results"`
}

// SweepSettings are the options the sweep ran with.
type SweepSettings struct {
	Models    []string `json:"models"`      // model shapes, as given
	DTypes    []string `json:"dtypes"`      // weight dtypes: "f32", "q8_0"
	Threads   int      `json:"threads"`     // threads per op (0: the providers' default)
	MinTimeNs int64    `json:"min_time_ns"` // each case was timed at least this long
}

// SweepResult is one matmul, out[rows] = W[rows×cols]·x[cols], timed on one
// provider. Rates are in 1e9 per second.
type SweepResult struct {
	Provider  string  `json:"provider"`   // the provider's reference, e.g. "builtin.avx2"
	Model     string  `json:"model"`      // the model shape, e.g. "stories15M"
	Tensor    string  `json:"tensor"`     // the matrix's role: wq, wk, w1, w2, classifier
	Rows      int     `json:"rows"`       // output length
	Cols      int     `json:"cols"`       // input length
	DType     string  `json:"dtype"`      // the weights': "f32" or "q8_0"
	GroupSize int     `json:"group_size"` // Q8_0 values per scale; 0 for f32
	Calls     int     `json:"calls"`      // timed calls (after one untimed)
	NsPerOp   float64 `json:"ns_per_op"`  // mean wall time per call
	// FLOPsPerOp is 2·rows·cols; BytesPerOp the weights plus the input and
	// output vectors (what the text table's GB/s counts); WeightBytes the
	// weights alone (values, and scales for Q8_0).
	FLOPsPerOp  float64 `json:"flops_per_op"`
	WeightBytes float64 `json:"weight_bytes"`
	BytesPerOp  float64 `json:"bytes_per_op"`
	// GFLOPs is FLOPsPerOp/NsPerOp; GBs is WeightBytes/NsPerOp, the weight
	// bytes read per second: near the machine's read bandwidth means
	// bandwidth-bound.
	GFLOPs float64 `json:"gflop_per_s"`
	GBs    float64 `json:"gb_per_s"`
}

// NewSweepReport makes the saved form of a sweep's results (from Sweep,
// SweepWith or SweepAll), created now. Every result must be a matmul with
// its model and shape (a Measure result of another op has none): the
// first that is not is an error.
func NewSweepReport(results []Result, env benchmodel.Environment, settings SweepSettings) (*SweepReport, error) {
	r := &SweepReport{Schema: SweepSchemaVersion, Kind: SweepKind, Created: time.Now().UTC(), Env: env, Settings: settings}
	for i, res := range results {
		if res.Op != kernels.MatMul || res.Model == "" || res.Rows <= 0 || res.Cols <= 0 || res.Seconds <= 0 {
			return nil, fmt.Errorf("ops: result %d (%s %s %s) is not a sweep's matmul with its model, shape and time", i, res.Provider, res.Op, res.Case)
		}
		r.Results = append(r.Results, SweepResult{
			Provider: res.Provider, Model: res.Model, Tensor: res.Tensor, Rows: res.Rows, Cols: res.Cols,
			DType: res.DType, GroupSize: res.GroupSize, Calls: res.Calls, NsPerOp: res.Seconds * 1e9,
			FLOPsPerOp: res.FLOPs, WeightBytes: res.WeightBytes, BytesPerOp: res.Bytes,
			GFLOPs: res.FLOPs / res.Seconds / 1e9, GBs: res.WeightBytes / res.Seconds / 1e9,
		})
	}
	return r, nil
}

// AsResults turns the saved rows back into Results, for Write's table.
// Their GBs is BytesPerOp per second, as Sweep's.
func (r *SweepReport) AsResults() []Result {
	out := make([]Result, len(r.Results))
	for i, s := range r.Results {
		sec := s.NsPerOp / 1e9
		out[i] = Result{
			Provider: s.Provider, Op: kernels.MatMul, DType: s.DType,
			Case:  fmt.Sprintf("%s %d×%d %s", s.Model, s.Rows, s.Cols, s.Tensor),
			Calls: s.Calls, PerCall: time.Duration(s.NsPerOp), GFLOPs: s.GFLOPs, GBs: s.BytesPerOp / sec / 1e9,
			Model: s.Model, Tensor: s.Tensor, Rows: s.Rows, Cols: s.Cols, GroupSize: s.GroupSize,
			FLOPs: s.FLOPsPerOp, Bytes: s.BytesPerOp, WeightBytes: s.WeightBytes, Seconds: sec,
		}
	}
	return out
}

// WriteSweepJSON writes r as indented JSON, the layout ReadSweepJSON reads
// back. Created is written in UTC; r is not modified.
func WriteSweepJSON(w io.Writer, r *SweepReport) error {
	if r == nil {
		return errors.New("ops: writing sweep JSON: nil report")
	}
	out := *r
	out.Created = out.Created.UTC()
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&out); err != nil {
		return fmt.Errorf("ops: encoding sweep JSON: %w", err)
	}
	return nil
}

// ReadSweepJSON reads one SweepReport written by WriteSweepJSON. It
// rejects empty or truncated input, anything after the report, another
// kind of file (a bench report, say), and a schema other than
// SweepSchemaVersion; then it requires created, environment.goos and
// environment.goarch, and of every result a provider, model, tensor,
// positive rows, cols, calls and ns_per_op, a dtype of f32 or q8_0, and a
// positive group_size for q8_0. All problems are listed in one error.
// Unknown fields are ignored.
func ReadSweepJSON(rd io.Reader) (*SweepReport, error) {
	data, err := io.ReadAll(rd)
	if err != nil {
		return nil, fmt.Errorf("ops: reading sweep JSON: %w", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("ops: empty input: expected a sweep's JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("ops: truncated sweep JSON: the input ends at byte %d", len(data))
		}
		return nil, fmt.Errorf("ops: decoding sweep JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("ops: unexpected data after the sweep's JSON at byte %d", dec.InputOffset())
	}
	if raw[0] != '{' {
		return nil, errors.New("ops: expected a JSON object holding a sweep")
	}
	// Kind and schema first, so another file or version fails with that
	// rather than with a type error.
	var head struct {
		Kind   string `json:"kind"`
		Schema *int   `json:"schema"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, fmt.Errorf("ops: decoding sweep JSON: %w", err)
	}
	switch {
	case head.Kind != SweepKind:
		return nil, fmt.Errorf("ops: kind %q, want %q: not a bench ops sweep", head.Kind, SweepKind)
	case head.Schema == nil:
		return nil, errors.New(`ops: missing "schema" field`)
	case *head.Schema != SweepSchemaVersion:
		return nil, fmt.Errorf("ops: sweep schema version %d, but this build reads version %d", *head.Schema, SweepSchemaVersion)
	}
	r := new(SweepReport)
	if err := json.Unmarshal(raw, r); err != nil {
		return nil, fmt.Errorf("ops: decoding sweep JSON: %w", err)
	}
	r.Created = r.Created.UTC()
	if err := r.validate(); err != nil {
		return nil, err
	}
	return r, nil
}

// validate lists every required field that is missing or out of range.
func (r *SweepReport) validate() error {
	var bad []string
	if r.Created.IsZero() {
		bad = append(bad, "created")
	}
	if r.Env.GOOS == "" {
		bad = append(bad, "environment.goos")
	}
	if r.Env.GOARCH == "" {
		bad = append(bad, "environment.goarch")
	}
	for i, s := range r.Results {
		field := func(name string) { bad = append(bad, fmt.Sprintf("results[%d].%s", i, name)) }
		if s.Provider == "" {
			field("provider")
		}
		if s.Model == "" {
			field("model")
		}
		if s.Tensor == "" {
			field("tensor")
		}
		if s.Rows <= 0 {
			field("rows")
		}
		if s.Cols <= 0 {
			field("cols")
		}
		if s.Calls <= 0 {
			field("calls")
		}
		if !(s.NsPerOp > 0) {
			field("ns_per_op")
		}
		switch s.DType {
		case kernels.F32.String():
		case kernels.Q8_0.String():
			if s.GroupSize <= 0 {
				field("group_size")
			}
		default:
			field("dtype")
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("ops: sweep JSON lacks or has invalid: %s", strings.Join(bad, ", "))
	}
	return nil
}
