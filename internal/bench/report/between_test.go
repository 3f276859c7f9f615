package report

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"

	"github.com/retrollama/retrollama/internal/bench"
)

// TestForcedCompareEveryFormat checks that a comparison forced past a
// refused difference says so in every output "bench compare" writes,
// with the refused field and both its values, and shows both reports'
// environments (the hostnames differ in the fixture).
func TestForcedCompareEveryFormat(t *testing.T) {
	formats := []struct {
		name string
		fn   func(io.Writer, *bench.Report) error
		want []string
	}{
		{"text", Text, []string{"NOT COMPARABLE, compared anyway (forced)", "REFUSED, FORCED", "settings.gen_tokens", "256 → 128",
			"NOT COMPARABLE, forced: these verdicts may measure settings.gen_tokens", "old-box", "bench-box"}},
		{"markdown", Markdown, []string{"NOT COMPARABLE, compared anyway (forced)", "REFUSED, FORCED", "settings.gen\\_tokens", "256 → 128",
			"NOT COMPARABLE, forced", "old-box", "bench-box"}},
		{"html", HTML, []string{"NOT COMPARABLE, compared anyway (forced)", "REFUSED, FORCED", "settings.gen_tokens", "256 → 128",
			"NOT COMPARABLE, forced", "old-box", "bench-box"}},
		{"json", JSON, []string{`"forced": true`, `"severity": "refuse"`, `"field": "settings.gen_tokens"`, `"old": "256"`, `"new": "128"`,
			`"hostname": "old-box"`, `"hostname": "bench-box"`}},
		{"csv", CSV, []string{"difference,refuse-forced,,settings.gen_tokens,", "old,report,,settings.gen_tokens,256",
			"new,report,,settings.gen_tokens,128", "old,report,,environment.hostname,old-box", "new,report,,environment.hostname,bench-box"}},
		{"benchstat", Benchstat, []string{"# Comparability: NOT COMPARABLE, compared anyway (forced)", "# REFUSED, FORCED  settings.gen_tokens",
			"256 → 128", "old-box", "bench-box"}},
	}
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := f.fn(&buf, compareReport()); err != nil {
				t.Fatal(err)
			}
			for _, w := range f.want {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("%s output lacks %q:\n%s", f.name, w, buf.String())
				}
			}
		})
	}
}

// TestCompareUnforced checks a comparable pair: no refused label, no
// NOT COMPARABLE line, and a report without Between keeps its single
// environment block.
func TestCompareUnforced(t *testing.T) {
	r := compareReport()
	r.Between.Forced = false
	r.Between.Differences = r.Between.Differences[1:] // the warnings only
	r.Between.Old.Settings.GenTokens = r.Between.New.Settings.GenTokens
	var buf bytes.Buffer
	if err := Text(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "REFUSE") || strings.Contains(out, "NOT COMPARABLE") || !strings.Contains(out, "comparable, with 5 warnings") {
		t.Errorf("comparable pair rendered as refused or without its summary:\n%s", out)
	}
	buf.Reset()
	if err := Text(&buf, fixtureReport()); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); strings.Contains(out, "Comparability") || strings.Contains(out, "bench compare") {
		t.Errorf("a bench report shows a comparison section:\n%s", out)
	}
}

// TestCompareSectionWidth checks the comparability section of the text
// and benchstat outputs fits 120 columns.
func TestCompareSectionWidth(t *testing.T) {
	for name, fn := range map[string]func(io.Writer, *bench.Report) error{"text": Text, "benchstat": Benchstat} {
		var buf bytes.Buffer
		if err := fn(&buf, compareReport()); err != nil {
			t.Fatal(err)
		}
		section, _, _ := strings.Cut(buf.String(), "\nprofile ") // text: up to the profile table
		section, _, _ = strings.Cut(section, "\ngoos:")          // benchstat: up to the configuration
		for _, line := range strings.Split(section, "\n") {
			if n := len([]rune(line)); n > 120 {
				t.Errorf("%s: line of %d columns: %q", name, n, line)
			}
		}
	}
}

// TestCompareBenchstatParses checks benchfmt skips the "# " section: the
// same results as without it, and no configuration key from it.
func TestCompareBenchstatParses(t *testing.T) {
	count := func(r *bench.Report) (int, []string) {
		var buf bytes.Buffer
		if err := Benchstat(&buf, r); err != nil {
			t.Fatal(err)
		}
		n, keys := 0, []string(nil)
		rd := benchfmt.NewReader(&buf, "compare.txt")
		for rd.Scan() {
			switch rec := rd.Result().(type) {
			case *benchfmt.SyntaxError:
				t.Errorf("benchfmt: %v", rec)
			case *benchfmt.Result:
				n++
				keys = keys[:0]
				for _, c := range rec.Config {
					if !strings.HasPrefix(c.Key, "providers-") { // which provider ran each op: every report has them
						keys = append(keys, c.Key)
					}
				}
			}
		}
		return n, keys
	}
	with := compareReport()
	without := *with
	without.Between = nil
	n, keys := count(with)
	m, _ := count(&without)
	if n == 0 || n != m {
		t.Errorf("benchfmt read %d results with the comparability section, %d without", n, m)
	}
	if got := strings.Join(keys, ","); got != "goos,goarch,cpu,pkg,model,kernels" {
		t.Errorf("configuration keys %s, want only the report's", got)
	}
}

// TestCompareJSONRoundTrip checks that a compare report read back keeps
// both sides and the differences.
func TestCompareJSONRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := JSON(&buf, compareReport()); err != nil {
		t.Fatal(err)
	}
	r, err := ReadJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	b := r.Between
	if b == nil || !b.Forced || len(b.Differences) != 6 || b.Old.Env.Hostname != "old-box" || b.New.Settings.GenTokens != 128 {
		t.Errorf("read back Between = %+v", b)
	}
}

// TestCompareHTMLWellFormed checks the compare page stays well-formed
// with its two extra tables.
func TestCompareHTMLWellFormed(t *testing.T) {
	count, text := htmlStructure(t, renderHTML(t, compareReport()))
	if count["table"] < 3 || !strings.Contains(text, "Old and new report side by side") || strings.Contains(text, "Environment") {
		t.Errorf("compare page: %d tables, text:\n%s", count["table"], text)
	}
}
