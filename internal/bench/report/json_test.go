package report

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/retrollama/retrollama/internal/bench"
)

// TestJSONRoundTrip checks ReadJSON(JSON(r)) == r for both fixtures.
func TestJSONRoundTrip(t *testing.T) {
	for name, mk := range map[string]func() *bench.Report{"full": fixtureReport, "minimal": minimalReport} {
		t.Run(name, func(t *testing.T) {
			want := mk()
			var buf bytes.Buffer
			if err := JSON(&buf, want); err != nil {
				t.Fatal(err)
			}
			got, err := ReadJSON(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(want)
				t.Errorf("round trip changed the report:\n got %s\nwant %s", g, w)
			}
		})
	}
}

// TestJSONWritesUTC checks a local Created is saved, and read, in UTC
// without changing the caller's report.
func TestJSONWritesUTC(t *testing.T) {
	r := fixtureReport()
	local := r.Created.In(time.FixedZone("CET", 3600))
	r.Created = local
	var buf bytes.Buffer
	if err := JSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"created": "2026-03-14T09:26:53Z"`) {
		t.Errorf("created not written in UTC:\n%.200s", buf.String())
	}
	if r.Created != local {
		t.Errorf("JSON modified the caller's report")
	}
	got, err := ReadJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got.Created.Location() != time.UTC || !got.Created.Equal(local) {
		t.Errorf("created read back as %v", got.Created)
	}
}

// TestReadJSONErrors checks each kind of bad input fails with an error
// that names the problem.
func TestReadJSONErrors(t *testing.T) {
	var good bytes.Buffer
	if err := JSON(&good, fixtureReport()); err != nil {
		t.Fatal(err)
	}
	edit := func(f func(m map[string]any)) string {
		var m map[string]any
		if err := json.Unmarshal(good.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	profile := func(m map[string]any, i int) map[string]any {
		return m["profiles"].([]any)[i].(map[string]any)
	}
	tests := []struct {
		name  string
		input string
		want  []string // substrings of the error
	}{
		{"empty", "", []string{"empty input"}},
		{"whitespace", " \n\t", []string{"empty input"}},
		{"truncated", good.String()[:good.Len()/2], []string{"truncated JSON"}},
		{"truncated after one byte", "{", []string{"truncated JSON"}},
		{"not JSON", "goos: linux\n", []string{"invalid JSON"}},
		{"array", "[1,2]", []string{"expected a JSON object"}},
		{"trailing data", good.String() + "{}", []string{"unexpected data after the report"}},
		{"wrong schema", edit(func(m map[string]any) { m["schema"] = 2 }), []string{"schema version 2", "reads version 1"}},
		{"schema of another layout", `{"schema": 99, "profiles": "x"}`, []string{"schema version 99"}},
		{"no schema", edit(func(m map[string]any) { delete(m, "schema") }), []string{`missing "schema"`}},
		{"wrong type", edit(func(m map[string]any) { m["settings"] = "fast" }), []string{"decoding JSON", "settings"}},
		{"missing fields", edit(func(m map[string]any) {
			delete(m, "created")
			m["environment"].(map[string]any)["goos"] = ""
			delete(profile(m, 1), "name")
			delete(profile(m, 2), "tg_tok_per_sec")
		}), []string{"missing required fields: created, environment.goos, profiles[1].name, profiles[2].tg_tok_per_sec"}},
		{"no profiles", edit(func(m map[string]any) { m["profiles"] = []any{} }), []string{"missing required fields: profiles"}},
		{"unknown profile", edit(func(m map[string]any) {
			m["comparisons"].([]any)[0].(map[string]any)["subject"] = "turbo"
		}), []string{`comparisons[0].subject "turbo" is not a profile`}},
		{"duplicate profile", edit(func(m map[string]any) { profile(m, 2)["name"] = "fast" }), []string{`profile name "fast" appears twice`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ReadJSON(strings.NewReader(tt.input))
			if err == nil {
				t.Fatalf("no error; read %+v", r)
			}
			t.Log(err)
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}
