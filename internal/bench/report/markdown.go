package report

import (
	"bufio"
	"io"
	"strings"

	"github.com/retrollama/retrollama/internal/bench"
)

// Markdown writes the content of Text as GitHub-flavoured markdown:
// headings, bullet lists and pipe tables. A partial report's mark and the
// warnings are block quotes right under the title.
func Markdown(w io.Writer, r *bench.Report) error {
	return writeDocument(w, r, writeMarkdownDocument)
}

// writeMarkdownDocument lays d out as markdown. Write errors are sticky in
// bufio.Writer and surface at Flush.
func writeMarkdownDocument(w *bufio.Writer, d *document) {
	w.WriteString("# " + mdEscape(d.title) + "\n\n")
	if d.partial != "" {
		w.WriteString("> **" + mdEscape(partialLabel) + "** " + mdEscape(d.partial) + "\n\n")
	}
	for _, s := range d.warnings {
		w.WriteString("> **" + mdEscape(warningLabel) + "** " + mdEscape(s) + "\n\n")
	}
	if len(d.substitutions) > 0 {
		w.WriteString("**Not run as named (fallback):** these ops ran on other providers than the profile names.\n\n")
		for _, s := range d.substitutions {
			w.WriteString("- " + mdEscape(s) + "\n")
		}
		w.WriteString("\n")
	}
	if b := d.between; b != nil {
		w.WriteString("## Comparability\n\n**" + mdEscape(b.summary) + "**\n")
		if len(b.differences.rows) > 0 {
			w.WriteString("\n")
			writeMarkdownTable(w, b.differences)
		}
		w.WriteString("\n## Old and new report side by side\n\n")
		writeMarkdownTable(w, b.sides)
	} else {
		w.WriteString("## Environment\n\n")
		writeMarkdownTable(w, table{
			header: []string{"key", "value"},
			align:  []align{left, left},
			rows:   kvRows(d.env),
		})
	}
	w.WriteString("\n## Profiles\n\n")
	writeMarkdownTable(w, d.profiles)
	writeMarkdownList(w, "Comparisons", d.verdicts)
	writeMarkdownList(w, "Correctness", d.correctness)
	if len(d.ops) > 0 {
		w.WriteString("\n## Per-op time per generated token\n")
	}
	for _, s := range d.ops {
		w.WriteString("\n### " + mdEscape(s.title) + "\n\n")
		if len(s.table.header) > 0 {
			writeMarkdownTable(w, s.table)
			w.WriteString("\n")
		}
		w.WriteString(mdEscape(s.note) + "\n")
	}
}

// kvRows turns key/value pairs into two-column table rows.
func kvRows(kvs []keyValue) [][]string {
	rows := make([][]string, len(kvs))
	for i, kv := range kvs {
		rows[i] = []string{kv.key, kv.value}
	}
	return rows
}

// writeMarkdownList writes a titled bullet list, or nothing when empty.
func writeMarkdownList(w *bufio.Writer, title string, items []string) {
	if len(items) == 0 {
		return
	}
	w.WriteString("\n## " + title + "\n\n")
	for _, it := range items {
		w.WriteString("- " + mdEscape(it) + "\n")
	}
}

// writeMarkdownTable writes t as a pipe table; footer rows are set in bold.
func writeMarkdownTable(w *bufio.Writer, t table) {
	row := func(cells []string, bold bool) {
		w.WriteString("|")
		for _, c := range cells {
			c = mdEscape(c)
			if bold && c != "" {
				c = "**" + c + "**"
			}
			w.WriteString(" " + c + " |")
		}
		w.WriteString("\n")
	}
	row(t.header, false)
	w.WriteString("|")
	for _, a := range t.align {
		if a == right {
			w.WriteString(" ---: |")
		} else {
			w.WriteString(" --- |")
		}
	}
	w.WriteString("\n")
	for _, r := range t.rows {
		row(r, false)
	}
	for _, r := range t.footer {
		row(r, true)
	}
}

// mdEscape backslash-escapes the ASCII punctuation that markdown (or the
// raw HTML GitHub allows) would interpret, and keeps text on one line.
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range oneLine(s) {
		if strings.ContainsRune("\\`*_[]<>|#", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
