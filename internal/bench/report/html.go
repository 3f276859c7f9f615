package report

import (
	"bufio"
	"fmt"
	"html/template"
	"io"
	"slices"

	"github.com/retrollama/retrollama/internal/bench"
)

// HTML writes r as one self-contained HTML page: the content of Text
// plus three inline SVG charts drawn with gonum.org/v1/plot (generation
// and prompt tokens/s per profile with 95% CI error bars, and the per-op
// time per token stacked per profile). The page loads nothing from
// anywhere and needs no JavaScript; all text is escaped. A partial
// report's mark and the warnings are boxes at the top of the page.
func HTML(w io.Writer, r *bench.Report) error {
	d, err := buildDocument(r)
	if err != nil {
		return err
	}
	page := htmlPage{
		Title:         d.title,
		PartialLabel:  partialLabel,
		Partial:       d.partial,
		WarningLabel:  warningLabel,
		Warnings:      d.warnings,
		Profiles:      htmlTableOf(d.profiles),
		Verdicts:      d.verdicts,
		Correctness:   d.correctness,
		Substitutions: d.substitutions,
	}
	if b := d.between; b != nil {
		page.Between = &htmlBetween{Summary: b.summary, Differences: htmlTableOf(b.differences), Sides: htmlTableOf(b.sides)}
	} else {
		for _, kv := range d.env {
			page.Env = append(page.Env, htmlKeyValue{kv.key, kv.value})
		}
	}
	for _, s := range d.ops {
		page.Ops = append(page.Ops, htmlOps{Title: s.title, Note: s.note, Table: htmlTableOf(s.table)})
	}
	if page.Charts, err = charts(r.Profiles); err != nil {
		return err
	}
	t, err := template.New("page").Parse(pageTemplate)
	if err != nil {
		return fmt.Errorf("report: parsing HTML template: %w", err)
	}
	bw := bufio.NewWriter(w)
	if err := t.Execute(bw, page); err != nil {
		return fmt.Errorf("report: writing HTML: %w", err)
	}
	return bw.Flush()
}

// charts draws the page's charts: three, or two when no profile has
// per-op measurements, none without profiles.
func charts(ps []bench.Profile) ([]htmlChart, error) {
	if len(ps) == 0 {
		return nil, nil
	}
	const rateCaption = "Bars: median of the runs; whiskers: 95% confidence interval of the median; dots: individual runs."
	tg, err := rateChart("Generation (tg) tokens/s", ps, func(p bench.Profile) (bench.Summary, []float64) {
		return p.Gen, p.GenTokPerSec
	})
	if err != nil {
		return nil, err
	}
	pp, err := rateChart("Prompt processing (pp) tokens/s", ps, func(p bench.Profile) (bench.Summary, []float64) {
		return p.Prompt, p.PromptTokPerSec
	})
	if err != nil {
		return nil, err
	}
	// The SVGs come from vgsvg, which escapes every string it draws.
	out := []htmlChart{
		{SVG: template.HTML(tg), Caption: rateCaption},
		{SVG: template.HTML(pp), Caption: rateCaption},
	}
	if !slices.ContainsFunc(ps, func(p bench.Profile) bool { return len(p.Ops) > 0 }) {
		return out, nil // an empty stacked chart would only mislead
	}
	ops, err := opsChart(ps)
	if err != nil {
		return nil, err
	}
	return append(out, htmlChart{
		SVG:     template.HTML(ops),
		Caption: "Compute time of each op and the boundary time (copies into WASM memory, plugin round trips) of all ops, per generated token, from the instrumented pass.",
	}), nil
}

// htmlPage is the data of pageTemplate.
type htmlPage struct {
	Title        string
	PartialLabel string
	Partial      string // "" for a complete report
	WarningLabel string
	Warnings     []string
	Env          []htmlKeyValue
	Between      *htmlBetween // a "bench compare" report's two sides, instead of Env
	Profiles     htmlTable
	Verdicts     []string
	// Substitutions: profiles that did not run as named, shown first.
	Substitutions []string
	Correctness   []string
	Charts        []htmlChart
	Ops           []htmlOps
}

// htmlBetween is the comparability section of a "bench compare" page:
// the summary sentence, the differences (no rows when none) and both
// reports' fields side by side.
type htmlBetween struct {
	Summary            string
	Differences, Sides htmlTable
}

// htmlKeyValue is one environment row.
type htmlKeyValue struct{ Key, Value string }

// htmlChart is one inline SVG and its caption.
type htmlChart struct {
	SVG     template.HTML
	Caption string
}

// htmlOps is one profile's per-op section.
type htmlOps struct {
	Title, Note string
	Table       htmlTable
}

// htmlTable is a table with alignment resolved per cell.
type htmlTable struct {
	Header       []htmlCell
	Rows, Footer [][]htmlCell
}

// htmlCell is one table cell.
type htmlCell struct {
	Text  string
	Right bool
}

// htmlTableOf resolves t's column alignment into its cells.
func htmlTableOf(t table) htmlTable {
	row := func(cells []string) []htmlCell {
		out := make([]htmlCell, len(cells))
		for i, c := range cells {
			out[i] = htmlCell{Text: c, Right: i < len(t.align) && t.align[i] == right}
		}
		return out
	}
	var h htmlTable
	if len(t.header) > 0 {
		h.Header = row(t.header)
	}
	for _, r := range t.rows {
		h.Rows = append(h.Rows, row(r))
	}
	for _, r := range t.footer {
		h.Footer = append(h.Footer, row(r))
	}
	return h
}
