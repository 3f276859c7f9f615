// Package report turns a *bench.Report into outputs: a terminal table
// (Text), GitHub-flavoured markdown (Markdown), the JSON schema of saved
// results and its reader (JSON, ReadJSON), raw samples as CSV (CSV), Go
// benchmark format for benchstat (Benchstat) and a self-contained HTML
// page with inline SVG charts (HTML).
//
// The package is split like golang.org/x/perf: maths.go derives numbers
// that the Report does not store (medians, peaks, shares of a token),
// format.go turns numbers into strings, model.go assembles the
// human-readable content once, and text.go, markdown.go and html.go only
// lay that content out, so the three human-readable outputs cannot drift
// apart. The machine-readable outputs (json.go, csv.go, benchstat.go)
// work on the Report directly.
//
// A "bench compare" report (bench.Report.Between set, by
// analysis.BetweenWith) shows in every output whether the two saved
// reports are comparable, their differences (internal/bench/compare) and both
// reports' environments and settings side by side; between.go builds
// that section.
package report
