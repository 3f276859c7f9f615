package report

import (
	"fmt"
	"io"
	"os"

	"github.com/retrollama/retrollama/internal/atomicfile"
	"github.com/retrollama/retrollama/internal/bench"
	"github.com/retrollama/retrollama/internal/bench/ops"
)

// Formats are the report formats Render writes, as bench --format names
// them.
func Formats() []string { return []string{"text", "md", "json", "csv", "benchstat"} }

// Render writes r to w in format (one of Formats; anything else is
// text).
func Render(w io.Writer, r *bench.Report, format string) error {
	switch format {
	case "md":
		return Markdown(w, r)
	case "json":
		return JSON(w, r)
	case "csv":
		return CSV(w, r)
	case "benchstat":
		return Benchstat(w, r)
	}
	return Text(w, r)
}

// Write renders r in format to the file out (to stdout when out is "")
// and, when html is set, the HTML page to the file html. Files are
// written atomically: a failed write leaves no half report behind.
func Write(r *bench.Report, format, out, html string, stdout io.Writer) error {
	render := func(w io.Writer) error { return Render(w, r, format) }
	if html != "" {
		if err := atomicfile.Write(html, func(w io.Writer) error { return HTML(w, r) }); err != nil {
			return fmt.Errorf("write %s: %w", html, err)
		}
	}
	if out != "" {
		if err := atomicfile.Write(out, render); err != nil {
			return fmt.Errorf("write %s: %w", out, err)
		}
		return nil
	}
	return render(stdout)
}

// WriteSweep saves a sweep's report as JSON to the file json and as an
// HTML page with GFLOP/s and GB/s charts across the shapes to the file
// html; either may be "" (not written). Files are written atomically.
func WriteSweep(r *ops.SweepReport, json, html string) error {
	if json != "" {
		if err := atomicfile.Write(json, func(w io.Writer) error { return ops.WriteSweepJSON(w, r) }); err != nil {
			return fmt.Errorf("write %s: %w", json, err)
		}
	}
	if html != "" {
		if err := atomicfile.Write(html, func(w io.Writer) error { return SweepHTML(w, r) }); err != nil {
			return fmt.Errorf("write %s: %w", html, err)
		}
	}
	return nil
}

// ReadJSONFile reads the report (ReadJSON) saved in the file path; a
// report that does not read names the file.
func ReadJSONFile(path string) (*bench.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := ReadJSON(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}
