package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/atomicfile"
	"github.com/retrollama/retrollama/internal/bench"
)

// xmlNamespaces are the only URLs the page may contain.
func xmlNamespaces() []string {
	return []string{"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
}

// renderHTML renders r or fails the test.
func renderHTML(t *testing.T, r *bench.Report) string {
	t.Helper()
	var buf bytes.Buffer
	if err := HTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// htmlStructure parses page as XML (the template keeps it well-formed) and
// returns how often each element occurs, plus the page's text.
func htmlStructure(t *testing.T, page string) (map[string]int, string) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(page))
	dec.Strict = true
	count := map[string]int{}
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("page is not well-formed: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			count[tok.Name.Local]++
		case xml.CharData:
			text.Write(tok)
		}
	}
	return count, text.String()
}

// TestHTML checks the page's structure and content for both fixtures.
func TestHTML(t *testing.T) {
	tests := []struct {
		name        string
		report      *bench.Report
		wantText    []string
		wantElement map[string]int
	}{
		{
			name:   "full",
			report: fixtureReport(),
			wantText: []string{
				"B (fast) is 2.56× faster than A (reference) at generation",
				"wasm diverges from reference at step 17 of 64",
				"fast agrees with reference for all 64 greedy steps",
				"AMD Ryzen 7 5800X",
				"instrumentation overhead +4.2%",
				"Generation (tg) tokens/s",
				"Prompt processing (pp) tokens/s",
				"boundary (all ops)",
			},
			wantElement: map[string]int{"svg": 3, "html": 1, "title": 1, "figure": 3, "script": 0, "link": 0, "img": 0},
		},
		{
			name:        "minimal",
			report:      minimalReport(),
			wantText:    []string{"only (A)", "no per-op measurements"},
			wantElement: map[string]int{"svg": 2, "script": 0}, // no per-op chart without ops
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := renderHTML(t, tt.report)
			count, text := htmlStructure(t, page)
			for el, n := range tt.wantElement {
				if count[el] != n {
					t.Errorf("%d <%s> elements, want %d", count[el], el, n)
				}
			}
			for _, w := range tt.wantText {
				if !strings.Contains(text, w) {
					t.Errorf("page text lacks %q", w)
				}
			}
			if strings.Contains(page, "<?xml") {
				t.Error("an SVG kept its XML prolog")
			}
			if regexp.MustCompile(`(?i)<script[^>]*\ssrc\s*=`).MatchString(page) {
				t.Error("page loads a script")
			}
			rest := page
			for _, ns := range xmlNamespaces() {
				rest = strings.ReplaceAll(rest, ns, "")
			}
			if u := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`).FindString(rest); u != "" {
				t.Errorf("page refers to %q; it must be self-contained", u)
			}
		})
	}
}

// TestHTMLEscapes checks hostile names are escaped in the tables and in
// the SVG text that gonum draws.
func TestHTMLEscapes(t *testing.T) {
	r := fixtureReport()
	const evil = `<script>alert("x")</script>&amp`
	r.Profiles[1].Name = evil
	r.Comparisons[0].Verdict = evil
	r.Env.CPU = evil
	r.Profiles[1].Ops[0].Op = evil
	page := renderHTML(t, r)
	if strings.Contains(page, "<script>") {
		t.Fatal("unescaped <script> in page")
	}
	_, text := htmlStructure(t, page)
	if n := strings.Count(text, evil); n < 4 {
		t.Errorf("escaped name appears %d times in the page text, want at least 4 (env, profile table, verdict, chart ticks)", n)
	}
}

// TestHTMLNoProfiles renders a page without charts rather than failing.
func TestHTMLNoProfiles(t *testing.T) {
	r := minimalReport()
	r.Profiles = nil
	count, _ := htmlStructure(t, renderHTML(t, r))
	if count["svg"] != 0 {
		t.Errorf("%d charts without profiles", count["svg"])
	}
}

// TestHTMLInChromium renders the page in headless Chromium through
// testdata/check_html.sh, which fails on console errors, network
// requests, or a DOM without the three charts (the sweep page's two). A
// page that loads an external image and throws shows that the check can
// fail.
func TestHTMLInChromium(t *testing.T) {
	if _, err := exec.LookPath("chromium"); err != nil {
		t.Skip("chromium not on PATH; install it (apt-get install chromium) to render the HTML report in a real browser")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not on PATH")
	}
	script, err := filepath.Abs(filepath.Join("testdata", "check_html.sh"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		write  func(io.Writer) error
		env    []string // check_html.sh's expectations, when not the report's
		wantOK bool
	}{
		{"report", func(w io.Writer) error { return HTML(w, fixtureReport()) }, nil, true},
		{"sweep", func(w io.Writer) error { return SweepHTML(w, sweepFixture(11.5)) },
			[]string{"CHECK_HTML_SVGS=2", "CHECK_HTML_SECTIONS=Environment|Charts|Missing results|Results"}, true},
		{"broken page", func(w io.Writer) error {
			_, err := io.WriteString(w, `<!DOCTYPE html><html><body><img src="https://example.com/a.png"/><script>nope()</script></body></html>`)
			return err
		}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			page := filepath.Join(dir, "report.html")
			shot := filepath.Join(dir, "report.png")
			if err := atomicfile.Write(page, tt.write); err != nil {
				t.Fatal(err)
			}
			cmd := exec.CommandContext(t.Context(), "bash", script, page, shot)
			cmd.Env = append(os.Environ(), tt.env...)
			out, err := cmd.CombinedOutput()
			t.Logf("check_html.sh:\n%s", out)
			if ok := err == nil; ok != tt.wantOK {
				t.Fatalf("check_html.sh succeeded = %v, want %v (%v)", ok, tt.wantOK, err)
			}
			if !tt.wantOK {
				return
			}
			if st, err := os.Stat(shot); err != nil || st.Size() == 0 {
				t.Fatalf("no screenshot: %v", err)
			}
		})
	}
}

// TestRateChartErrorBars checks each profile's CI is drawn: a whisker
// and two caps per profile, recognisable by the 1.5pt stroke only the
// error bars use.
func TestRateChartErrorBars(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(ps []bench.Profile)
		wantErr int // error-bar strokes
	}{
		{"all profiles", func([]bench.Profile) {}, 9},
		{"one without samples", func(ps []bench.Profile) { ps[1].Gen = bench.Summary{}; ps[1].GenTokPerSec = nil }, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := fixtureReport().Profiles
			tt.mutate(ps)
			svg, err := rateChart("tg", ps, func(p bench.Profile) (bench.Summary, []float64) { return p.Gen, p.GenTokPerSec })
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(string(svg), "stroke-width:1.5"); n != tt.wantErr {
				t.Errorf("%d error-bar strokes, want %d", n, tt.wantErr)
			}
			if err := xml.Unmarshal(svg, new(struct{})); err != nil {
				t.Errorf("chart is not well-formed XML: %v", err)
			}
		})
	}
}
