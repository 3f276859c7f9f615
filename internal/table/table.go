// Package table renders the plain-text tables of every retrollama command
// in one style (go-pretty underneath): a header, a rule of dashes under
// it, columns two spaces apart, numbers right-aligned by the caller's
// choice, and the whole fitted to a terminal width by wrapping the widest
// columns' cells, so that no output line is wider than the width given
// (120 columns by default; see Fit).
package table

import (
	"io"
	"strings"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"
)

// DefaultWidth is the widest a table may be when the caller does not say:
// a wide terminal, and what the README's journeys are checked against.
const DefaultWidth = 120

// minColumn is the narrowest a wrapped column is made.
const minColumn = 12

// T is one table being built. The zero value is not usable: use New.
type T struct {
	header []string
	rows   [][]string
	right  map[int]bool
	width  int
}

// New starts a table with the given column headings.
func New(header ...string) *T {
	return &T{header: header, right: map[int]bool{}, width: DefaultWidth}
}

// AlignRight right-aligns the given columns (0-based): numbers.
func (t *T) AlignRight(cols ...int) *T {
	for _, c := range cols {
		t.right[c] = true
	}
	return t
}

// Fit sets the widest a rendered line may be; 0 or less means no limit.
func (t *T) Fit(width int) *T {
	t.width = width
	return t
}

// Row adds a row; missing cells are empty.
func (t *T) Row(cells ...string) {
	t.rows = append(t.rows, cells)
}

// Len is the number of rows added.
func (t *T) Len() int { return len(t.rows) }

// Render writes the table, each line ending in a newline, no trailing
// spaces.
func (t *T) Render(w io.Writer) error {
	_, err := io.WriteString(w, t.String())
	return err
}

// String renders the table.
func (t *T) String() string {
	tw := table.NewWriter()
	style := table.StyleDefault
	style.Name = "retrollama"
	style.Box.PaddingLeft, style.Box.PaddingRight = "", ""
	style.Box.MiddleVertical = "  "
	style.Box.MiddleHorizontal = "-"
	style.Box.MiddleSeparator = "  "
	style.Options = table.Options{SeparateColumns: true, SeparateHeader: true}
	style.Format.Header = text.FormatDefault
	tw.SetStyle(style)
	tw.AppendHeader(toRow(t.header))
	for _, r := range t.rows {
		tw.AppendRow(toRow(r))
	}
	var cfg []table.ColumnConfig
	widths := t.fitted()
	for c := range t.columns() {
		cc := table.ColumnConfig{Number: c + 1}
		if t.right[c] {
			cc.Align, cc.AlignHeader = text.AlignRight, text.AlignRight
		}
		if widths != nil {
			cc.WidthMax, cc.WidthMaxEnforcer = widths[c], text.WrapSoft
		}
		cfg = append(cfg, cc)
	}
	tw.SetColumnConfigs(cfg)
	var b strings.Builder
	for _, line := range strings.Split(tw.Render(), "\n") {
		b.WriteString(strings.TrimRight(line, " "))
		b.WriteByte('\n')
	}
	return b.String()
}

// columns is the number of columns: the widest of header and rows.
func (t *T) columns() int {
	n := len(t.header)
	for _, r := range t.rows {
		n = max(n, len(r))
	}
	return n
}

// fitted returns each column's maximum width so that the table fits
// t.width, shrinking the widest column first (never below minColumn or
// its heading's longest word), or nil when it fits as it is.
func (t *T) fitted() []int {
	if t.width <= 0 {
		return nil
	}
	n := t.columns()
	w := make([]int, n)
	floor := make([]int, n)
	for c := range n {
		floor[c] = minColumn
		if c < len(t.header) {
			for _, word := range strings.Fields(t.header[c]) {
				floor[c] = max(floor[c], text.StringWidth(word))
			}
		}
	}
	for _, r := range append([][]string{t.header}, t.rows...) {
		for c, cell := range r {
			for _, line := range strings.Split(cell, "\n") {
				w[c] = max(w[c], text.StringWidth(line))
			}
		}
	}
	total := func() int {
		s := 2 * (n - 1)
		for _, x := range w {
			s += x
		}
		return s
	}
	if total() <= t.width {
		return nil
	}
	// Cut the widest column down to the next widest, then both, and so
	// on: wide columns end up about equally wide, narrow ones untouched.
	for total() > t.width {
		widest, next := -1, 0
		for c := range n {
			if w[c] <= floor[c] {
				continue
			}
			if widest < 0 || w[c] > w[widest] {
				if widest >= 0 {
					next = max(next, w[widest])
				}
				widest = c
			} else {
				next = max(next, w[c])
			}
		}
		if widest < 0 {
			break // as narrow as it goes
		}
		cut := min(total()-t.width, max(w[widest]-next, 1))
		w[widest] = max(floor[widest], w[widest]-cut)
	}
	return w
}

func toRow(cells []string) table.Row {
	r := make(table.Row, len(cells))
	for i, c := range cells {
		r[i] = c
	}
	return r
}
