package report

import (
	"bufio"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/retrollama/retrollama/internal/bench"
)

// Text writes r as the terminal report: environment (for a "bench
// compare" report, its comparability, differences and both reports'
// environments and settings side by side), one row of headline numbers
// per profile, the comparison verdicts, the correctness checks and
// a per-op breakdown per profile. A partial report's first line is
// "PARTIAL REPORT: <why>"; warnings follow the title, one "WARNING:" line
// each.
func Text(w io.Writer, r *bench.Report) error {
	return writeDocument(w, r, writeTextDocument)
}

// writeTextDocument lays d out for a fixed-width terminal. Write errors
// are sticky in bufio.Writer and surface at Flush.
func writeTextDocument(w *bufio.Writer, d *document) {
	if d.partial != "" {
		w.WriteString(partialLabel + " " + d.partial + "\n")
	}
	w.WriteString(d.title + "\n\n")
	for _, s := range d.warnings {
		w.WriteString(warningLabel + " " + s + "\n")
	}
	if len(d.warnings) > 0 {
		w.WriteString("\n")
	}
	if len(d.substitutions) > 0 {
		w.WriteString("NOT RUN AS NAMED (fallback): these ops ran on other providers than the profile names\n")
		for _, s := range d.substitutions {
			w.WriteString("  " + s + "\n")
		}
		w.WriteString("\n")
	}
	if d.between != nil {
		writeTextBetween(w, d.between, textWidth, "")
	} else {
		width := 0
		for _, kv := range d.env {
			width = max(width, utf8.RuneCountInString(kv.key))
		}
		for _, kv := range d.env {
			value := kv.value
			if !strings.HasPrefix(kv.key, "command ") { // an argv stays one line, to copy and paste
				value = wrapText(value, textWidth-width-2, strings.Repeat(" ", width+2))
			}
			w.WriteString(pad(kv.key, width, left) + "  " + value + "\n")
		}
	}
	w.WriteString("\n")
	writeTextTable(w, d.profiles)
	writeTextList(w, "Comparisons", d.verdicts)
	writeTextList(w, "Correctness", d.correctness)
	for _, s := range d.ops {
		w.WriteString("\nPer-op time per generated token: " + s.title + "\n")
		if len(s.table.header) > 0 {
			writeTextTable(w, s.table)
		}
		note := s.note
		if !strings.HasPrefix(note, "external command ") { // an argv stays one line
			note = wrapText(note, textWidth, "")
		}
		w.WriteString(note + "\n")
	}
}

// writeTextList writes a titled list, or nothing when items is empty.
func writeTextList(w *bufio.Writer, title string, items []string) {
	if len(items) == 0 {
		return
	}
	w.WriteString("\n" + title + "\n")
	for _, it := range items {
		w.WriteString("  " + wrapText(it, textWidth-4, "    ") + "\n")
	}
}

// wrapText breaks s at spaces into lines of at most width runes (a word
// longer than that stands alone), the lines after the first starting
// with indent, so that a text report fits a 120-column terminal.
func wrapText(s string, width int, indent string) string {
	if width <= 0 || utf8.RuneCountInString(s) <= width {
		return s
	}
	var b strings.Builder
	line := 0
	for i, word := range strings.Fields(s) {
		n := utf8.RuneCountInString(word)
		switch {
		case i == 0:
		case line+1+n > width:
			b.WriteString("\n" + indent)
			line = 0
		default:
			b.WriteByte(' ')
			line++
		}
		b.WriteString(word)
		line += n
	}
	return b.String()
}

// writeTextTable writes t with aligned columns, a rule under the header
// and another above the footer.
func writeTextTable(w *bufio.Writer, t table) {
	widths := make([]int, len(t.header))
	measure := func(row []string) {
		for i, c := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	measure(t.header)
	for _, r := range t.rows {
		measure(r)
	}
	for _, r := range t.footer {
		measure(r)
	}
	line := func(row []string) {
		cells := make([]string, len(row))
		for i, c := range row {
			cells[i] = pad(c, widths[i], t.align[i])
		}
		w.WriteString(strings.TrimRight(strings.Join(cells, "  "), " ") + "\n")
	}
	rule := func() {
		cells := make([]string, len(widths))
		for i, n := range widths {
			cells[i] = strings.Repeat("-", n)
		}
		w.WriteString(strings.Join(cells, "  ") + "\n")
	}
	line(t.header)
	rule()
	for _, r := range t.rows {
		line(r)
	}
	if len(t.footer) > 0 {
		rule()
		for _, r := range t.footer {
			line(r)
		}
	}
}

// pad pads s with spaces to width runes on the side a aligns away from.
func pad(s string, width int, a align) string {
	n := width - utf8.RuneCountInString(s)
	if n <= 0 {
		return s
	}
	if a == right {
		return strings.Repeat(" ", n) + s
	}
	return s + strings.Repeat(" ", n)
}
