package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/retrollama/retrollama/internal/bench"
)

// JSON writes r as indented JSON, the layout "bench compare" reads back
// with ReadJSON. Created is written in UTC; r itself is not modified.
func JSON(w io.Writer, r *bench.Report) error {
	if r == nil {
		return errNilReport
	}
	out := *r
	out.Created = out.Created.UTC()
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // verdicts may contain "<"; nothing embeds this JSON in HTML
	if err := enc.Encode(&out); err != nil {
		return fmt.Errorf("report: encoding JSON: %w", err)
	}
	return nil
}

// ReadJSON reads one Report written by JSON. It rejects empty or
// truncated input, anything after the report, and a schema other than
// bench.SchemaVersion. It then requires created, environment.goos,
// environment.goarch, environment.model and at least one profile, each
// with a unique name, a label and tg_tok_per_sec samples (a partial
// report's profile may have none), and that comparisons and correctness
// name profiles of the report; all missing fields are listed in one
// error. Unknown fields are ignored. Created is
// returned in UTC.
func ReadJSON(rd io.Reader) (*bench.Report, error) {
	data, err := io.ReadAll(rd)
	if err != nil {
		return nil, fmt.Errorf("report: reading JSON: %w", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("report: empty input: expected a JSON report")
	}
	var raw json.RawMessage
	if err := decodeOne(data, &raw); err != nil {
		return nil, err
	}
	// Check the schema before the layout, so a report from another
	// version fails with the version rather than with a type error.
	if raw[0] != '{' {
		return nil, errors.New("report: expected a JSON object holding a report")
	}
	var head struct {
		Schema *int `json:"schema"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, fmt.Errorf("report: decoding JSON: %w", err)
	}
	switch {
	case head.Schema == nil:
		return nil, errors.New(`report: missing "schema" field: not a retrollama bench report`)
	case *head.Schema != bench.SchemaVersion:
		return nil, fmt.Errorf("report: schema version %d, but this build reads version %d", *head.Schema, bench.SchemaVersion)
	}
	r := new(bench.Report)
	if err := json.Unmarshal(raw, r); err != nil {
		return nil, fmt.Errorf("report: decoding JSON: %w", err)
	}
	r.Created = r.Created.UTC()
	if err := validate(r); err != nil {
		return nil, err
	}
	return r, nil
}

// decodeOne decodes exactly one JSON value from data into v, naming
// truncation and trailing data explicitly.
func decodeOne(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("report: truncated JSON: the input ends at byte %d, in the middle of the report", len(data))
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("report: invalid JSON at byte %d: %w", se.Offset, err)
		}
		return fmt.Errorf("report: decoding JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("report: unexpected data after the report at byte %d", dec.InputOffset())
	}
	return nil
}
