package report

import (
	"bufio"
	"slices"
	"strings"

	"github.com/jedib0t/go-pretty/v6/text"

	"github.com/retrollama/retrollama/internal/bench"
	"github.com/retrollama/retrollama/internal/bench/compare"
	itable "github.com/retrollama/retrollama/internal/table"
)

// betweenSection is the part of a "bench compare" report that says what
// was compared: whether the two reports are comparable, their
// differences, and both reports' environments and settings side by side.
type betweenSection struct {
	summary     string // compare.Summary: "comparable, with 2 warnings"
	differences table  // severity, field, old → new, why; no rows when none
	sides       table  // differs, field, old, new: every compared field
}

// textWidth is the widest line of the text tables of a compare report.
const textWidth = itable.DefaultWidth

// between assembles r.Between for the human-readable outputs, or nil on
// a report that "bench" wrote.
func between(r *bench.Report) *betweenSection {
	b := r.Between
	if b == nil {
		return nil
	}
	s := &betweenSection{
		summary: compare.Summary(b.Differences, b.Forced),
		differences: table{
			header: []string{"severity", "field", "old → new", "why"},
			align:  []align{left, left, left, left},
		},
		sides: table{
			header: []string{"differs", "field", "old", "new"},
			align:  []align{left, left, left, left},
		},
	}
	for _, d := range b.Differences {
		s.differences.rows = append(s.differences.rows,
			[]string{compare.SeverityLabel(d.Severity, b.Forced), d.Field, compare.Change(d), d.Reason})
	}
	for _, row := range compare.Rows(b.Old, b.New) {
		mark := ""
		if row.Differs && row.Severity != "" {
			mark = compare.SeverityLabel(row.Severity, b.Forced)
		}
		s.sides.rows = append(s.sides.rows, []string{mark, row.Field, compare.Display(row.Old), compare.Display(row.New)})
	}
	return s
}

// forcedNote is the line put first among a forced comparison's verdicts,
// naming what makes them meaningless; "" when nothing was refused.
func forcedNote(b *bench.Between) string {
	if b == nil || !b.Forced {
		return ""
	}
	var fields []string
	for _, d := range compare.Refused(b.Differences) {
		fields = append(fields, d.Field)
	}
	return "NOT COMPARABLE, forced: these verdicts may measure " + strings.Join(fields, ", ") + ", not the code"
}

// textTable converts t to an internal/table fitted to width columns.
func textTable(t table, width int) *itable.T {
	out := itable.New(t.header...).Fit(width)
	for i, a := range t.align {
		if a == right {
			out.AlignRight(i)
		}
	}
	for _, r := range t.rows {
		out.Row(r...)
	}
	for _, r := range t.footer {
		out.Row(r...)
	}
	return out
}

// writeTextBetween writes s for a terminal: the verdict on
// comparability, the differences and the side-by-side table, each
// table fitted to width columns. prefix starts every line ("# " inside
// a benchstat file).
func writeTextBetween(w *bufio.Writer, s *betweenSection, width int, prefix string) {
	line := func(text string) {
		w.WriteString(strings.TrimRight(prefix+text, " ") + "\n")
	}
	block := func(t table) {
		for _, l := range strings.Split(strings.TrimSuffix(textTable(t, width).String(), "\n"), "\n") {
			line(l)
		}
	}
	line("Comparability: " + s.summary)
	if len(s.differences.rows) > 0 {
		block(s.differences)
	}
	line("")
	line("Old and new report side by side")
	block(balanced(s.sides, 2, 3, width))
}

// balanced returns t with the cells of columns a and b wrapped so that
// the two share what width leaves them, when they need more: fitting to
// a width alone shrinks the widest column first, which would wrap the old
// values and leave the new ones whole.
func balanced(t table, a, b, width int) table {
	colWidth := func(c int) int {
		w := 0
		for _, r := range append([][]string{t.header}, t.rows...) {
			if c < len(r) {
				for _, l := range strings.Split(r[c], "\n") {
					w = max(w, text.StringWidth(l))
				}
			}
		}
		return w
	}
	room := width - 2*(len(t.header)-1)
	for c := range t.header {
		if c != a && c != b {
			room -= colWidth(c)
		}
	}
	wa, wb := colWidth(a), colWidth(b)
	if wa+wb <= room || room < 2*minWrap {
		return t
	}
	switch half := room / 2; {
	case wa <= half:
		wb = room - wa
	case wb <= half:
		wa = room - wb
	default:
		wa, wb = half, half // the same width: equal values wrap alike
	}
	out := t
	out.rows = make([][]string, len(t.rows))
	for i, r := range t.rows {
		r = slices.Clone(r)
		r[a], r[b] = text.WrapSoft(r[a], wa), text.WrapSoft(r[b], wb)
		out.rows[i] = r
	}
	return out
}

// minWrap is the narrowest balanced column: narrower, the table is left
// to internal/table's fitting.
const minWrap = 12
