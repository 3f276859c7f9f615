package kernelsfile

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/retrollama/retrollama/internal/suggest"
)

func rangePtr(r hcl.Range) *hcl.Range { return &r }

func errorAt(r *hcl.Range, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: r}
}

// didYouMean returns ` Did you mean "x"?` for the closest candidate within
// a small edit distance, or "".
func didYouMean(given string, candidates []string) string {
	return suggest.DidYouMean(given, candidates)
}

// DiagnosticsError turns diagnostics into an error: one line per
// diagnostic, "file:line:col: summary: detail", followed by the offending
// source line with the range underlined.
func DiagnosticsError(f *File, diags hcl.Diagnostics) error {
	if !diags.HasErrors() {
		return nil
	}
	var src []byte
	if f != nil && f.hclFile != nil {
		src = f.hclFile.Bytes
	}
	var b strings.Builder
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		if d.Subject == nil {
			fmt.Fprintf(&b, "%s: %s", d.Summary, d.Detail)
			continue
		}
		r := d.Subject
		fmt.Fprintf(&b, "%s:%d:%d: %s: %s", r.Filename, r.Start.Line, r.Start.Column, d.Summary, d.Detail)
		b.WriteString(quote(src, *r))
	}
	return fmt.Errorf("%s", b.String())
}

// quote returns the source line of r with r underlined, or "" when the
// source is not at hand.
func quote(src []byte, r hcl.Range) string {
	if r.Start.Byte < 0 || r.Start.Byte > len(src) {
		return ""
	}
	start := strings.LastIndexByte(string(src[:r.Start.Byte]), '\n') + 1
	end := strings.IndexByte(string(src[r.Start.Byte:]), '\n')
	if end < 0 {
		end = len(src)
	} else {
		end += r.Start.Byte
	}
	line := string(src[start:end])
	width := max(1, min(r.End.Byte, end)-r.Start.Byte)
	prefix := fmt.Sprintf("%5d | ", r.Start.Line)
	return "\n" + prefix + line + "\n" + strings.Repeat(" ", len(prefix)-2) + "| " +
		strings.Repeat(" ", r.Start.Byte-start) + strings.Repeat("^", width)
}
