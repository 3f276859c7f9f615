package report

import (
	"bytes"
	"encoding/csv"
	"io"
	"slices"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"

	"github.com/retrollama/retrollama/internal/bench"
)

// TestPartialAndWarningsInEveryFormat: a partial report is marked, and
// its warnings shown, in every format, where a reader meets them first;
// a complete report carries no mark.
func TestPartialAndWarningsInEveryFormat(t *testing.T) {
	r := partialReport()
	mark := "PARTIAL REPORT: " + r.PartialReason + ". The statistics cover only the runs that finished."
	warning := r.Warnings[0]
	for _, f := range []struct {
		name  string
		fn    func(io.Writer, *bench.Report) error
		check func(t *testing.T, out string)
	}{
		{"text", Text, func(t *testing.T, out string) {
			lines := strings.Split(out, "\n")
			if lines[0] != mark || !strings.HasSuffix(lines[1], "(PARTIAL)") || lines[3] != "WARNING: "+warning {
				t.Errorf("text: first lines %q", lines[:4])
			}
		}},
		{"markdown", Markdown, func(t *testing.T, out string) {
			if !strings.Contains(out, "(PARTIAL)\n\n> **PARTIAL REPORT:** "+mdEscape(strings.TrimPrefix(mark, partialLabel+" "))+"\n\n> **WARNING:** "+mdEscape(warning)+"\n") {
				t.Errorf("markdown:\n%s", out)
			}
		}},
		{"html", HTML, func(t *testing.T, out string) {
			count, text := htmlStructure(t, out)
			if count["p"] == 0 || !strings.Contains(out, `<p class="partial" role="alert"><strong>PARTIAL REPORT:</strong> interrupted`) ||
				!strings.Contains(out, `<ul class="warnings" role="alert">`) || !strings.Contains(text, warning) || !strings.Contains(text, "(PARTIAL)") {
				t.Errorf("html:\n%s", out)
			}
		}},
		{"json", JSON, func(t *testing.T, out string) {
			back, err := ReadJSON(strings.NewReader(out))
			if err != nil || !back.Partial || back.PartialReason != r.PartialReason || !slices.Equal(back.Warnings, r.Warnings) {
				t.Errorf("json round trip: %+v, %v", back, err)
			}
		}},
		{"csv", CSV, func(t *testing.T, out string) {
			rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
			if err != nil || !slices.Equal(rows[1], []string{"", "", "", "partial", mark}) || !slices.Equal(rows[2], []string{"", "", "", "warning", warning}) {
				t.Errorf("csv: %q, %v", rows[:3], err)
			}
		}},
		{"benchstat", Benchstat, func(t *testing.T, out string) {
			if !strings.HasPrefix(out, "partial: "+mark+"\n") {
				t.Errorf("benchstat:\n%s", out)
			}
			rd := benchfmt.NewReader(strings.NewReader(out), "partial.txt")
			n := 0
			for rd.Scan() {
				res, ok := rd.Result().(*benchfmt.Result)
				if !ok {
					t.Fatalf("benchfmt: %v", rd.Result())
				}
				n++
				if string(res.GetConfig("partial")) != mark || string(res.GetConfig("warnings")) != warning {
					t.Errorf("benchfmt result %s: partial %q, warnings %q", res.Name, res.GetConfig("partial"), res.GetConfig("warnings"))
				}
			}
			if n != 6 {
				t.Errorf("benchfmt read %d results, want 6 (2+2 of A, 1+1 of B)", n)
			}
		}},
	} {
		var b bytes.Buffer
		if err := f.fn(&b, r); err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		f.check(t, b.String())

		b.Reset()
		if err := f.fn(&b, fixtureReport()); err != nil {
			t.Fatal(err)
		}
		if out := b.String(); strings.Contains(out, "PARTIAL") || strings.Contains(out, `class="partial"`) || strings.Contains(out, `"partial"`) ||
			strings.Contains(out, "partial:") || strings.Contains(out, ",partial,") || strings.Contains(out, "WARNING") ||
			strings.Contains(out, `class="warnings"`) || strings.Contains(out, "warnings:") || strings.Contains(out, `"warnings"`) || strings.Contains(out, ",warning,") {
			t.Errorf("%s marks a complete report:\n%s", f.name, b.String())
		}
	}
}

// TestPartialWithoutRuns: a bench stopped before any run still renders,
// and ReadJSON accepts its empty profiles only because it is partial.
func TestPartialWithoutRuns(t *testing.T) {
	r := partialReport()
	for i := range r.Profiles {
		p := &r.Profiles[i]
		p.PromptTokPerSec, p.GenTokPerSec, p.TTFTSeconds, p.Gen, p.Prompt = nil, nil, nil, bench.Summary{}, bench.Summary{}
	}
	for name, fn := range map[string]func(io.Writer, *bench.Report) error{
		"Text": Text, "Markdown": Markdown, "JSON": JSON, "CSV": CSV, "Benchstat": Benchstat, "HTML": HTML,
	} {
		var b bytes.Buffer
		if err := fn(&b, r); err != nil || !strings.Contains(b.String(), "PARTIAL REPORT:") && !strings.Contains(b.String(), `"partial": true`) {
			t.Errorf("%s: %v\n%s", name, err, b.String())
		}
	}
	var js bytes.Buffer
	if err := JSON(&js, r); err != nil {
		t.Fatal(err)
	}
	data := js.Bytes()
	if _, err := ReadJSON(bytes.NewReader(data)); err != nil {
		t.Errorf("ReadJSON of a partial report without runs: %v", err)
	}
	complete := bytes.Replace(data, []byte(`"partial": true`), []byte(`"partial": false`), 1)
	if _, err := ReadJSON(bytes.NewReader(complete)); err == nil || !strings.Contains(err.Error(), "profiles[0].tg_tok_per_sec") {
		t.Errorf("ReadJSON of a complete report without runs: %v", err)
	}
}
