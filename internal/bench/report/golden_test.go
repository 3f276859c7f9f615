package report

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/retrollama/retrollama/internal/bench"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// TestGolden compares each text output with its golden file; run
// "go test ./internal/bench/report -update" after an intended change.
func TestGolden(t *testing.T) {
	formats := []struct {
		name string
		ext  string
		fn   func(io.Writer, *bench.Report) error
	}{
		{"text", "txt", Text},
		{"markdown", "md", Markdown},
		{"csv", "csv", CSV},
		{"benchstat", "txt", Benchstat},
	}
	fixtures := []struct {
		name   string
		report func() *bench.Report
	}{
		{"full", fixtureReport},
		{"minimal", minimalReport},
		{"command", commandReport},
		{"compare", compareReport},
		{"partial", partialReport},
	}
	for _, f := range formats {
		for _, fx := range fixtures {
			name := f.name + "_" + fx.name
			t.Run(name, func(t *testing.T) {
				var got bytes.Buffer
				if err := f.fn(&got, fx.report()); err != nil {
					t.Fatalf("%s: %v", f.name, err)
				}
				path := filepath.Join("testdata", name+"."+f.ext+".golden")
				if *update {
					if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if !bytes.Equal(got.Bytes(), want) {
					t.Errorf("%s differs from %s (run with -update if the change is intended)\n--- got ---\n%s\n--- want ---\n%s",
						f.name, path, got.Bytes(), want)
				}
			})
		}
	}
}

// TestNilReport checks every output refuses a nil report instead of
// panicking.
func TestNilReport(t *testing.T) {
	for name, fn := range map[string]func(io.Writer, *bench.Report) error{
		"Text": Text, "Markdown": Markdown, "JSON": JSON, "CSV": CSV, "Benchstat": Benchstat, "HTML": HTML,
	} {
		if err := fn(io.Discard, nil); err == nil {
			t.Errorf("%s(nil report) succeeded, want an error", name)
		}
	}
}
