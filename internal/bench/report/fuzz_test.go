package report

import (
	"bytes"
	"io"
	"testing"

	"github.com/retrollama/retrollama/internal/bench"
)

// FuzzReadJSON: "bench compare" reads files a user hands it; any bytes
// either parse into a report that every format renders, or give an
// error; never a panic.
func FuzzReadJSON(f *testing.F) {
	var b bytes.Buffer
	if err := JSON(&b, fixtureReport()); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	b.Reset()
	if err := JSON(&b, partialReport()); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add([]byte(`{"schema":1,"profiles":[{"name":"a","tg_tok_per_sec":[1]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ReadJSON(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, render := range []func(io.Writer, *bench.Report) error{Text, Markdown, JSON, CSV, Benchstat, HTML} {
			_ = render(io.Discard, r) // an error is fine; a panic is not
		}
	})
}
