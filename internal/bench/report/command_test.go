package report

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"

	"github.com/retrollama/retrollama/internal/bench"
)

// TestCommandInEveryFormat: a report with an external command names the
// command, with its argv as run, in every format, and JSON keeps it.
func TestCommandInEveryFormat(t *testing.T) {
	r := commandReport()
	line := "/tmp/l2c/run /tmp/retrollama-bench-1/stories15M.bin -z tokenizer.bin -t 0 -n 160 -i 'Once upon a time'"
	for _, f := range []struct {
		name string
		fn   func(io.Writer, *bench.Report) error
		want []string
	}{
		{"text", Text, []string{"command cmd:llama2c  " + line, "avx2 is 1.83× faster than cmd:llama2c", "external command " + line}},
		{"markdown", Markdown, []string{"| command cmd:llama2c | " + line, "avx2 is 1.83× faster than cmd:llama2c"}},
		{"html", HTML, []string{"command cmd:llama2c", "-i &#39;Once upon a time&#39;", "avx2 is 1.83× faster than cmd:llama2c"}},
		{"csv", CSV, []string{"cmd:llama2c,A,1,tg_tok_per_sec,"}},
		{"benchstat", Benchstat, []string{"cmd-llama2c: " + line, "BenchmarkGenerate/profile=cmd:llama2c-1 "}},
		{"json", JSON, []string{`"command": [`, `"Once upon a time"`, `"command_regex": "achieved tok/s: `}},
	} {
		var b bytes.Buffer
		if err := f.fn(&b, r); err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		for _, want := range f.want {
			if !strings.Contains(b.String(), want) {
				t.Errorf("%s lacks %q:\n%s", f.name, want, b.String())
			}
		}
		if f.name == "benchstat" && strings.Contains(b.String(), "BenchmarkPrompt/profile=cmd:llama2c") {
			t.Errorf("benchstat has prompt lines for the command:\n%s", b.String())
		}
	}

	var js bytes.Buffer
	if err := JSON(&js, r); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(&js)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.Profiles[0].Command, r.Profiles[0].Command) || back.Profiles[0].CommandRegex != r.Profiles[0].CommandRegex || back.Profiles[1].Command != nil {
		t.Errorf("JSON round trip: %+v", back.Profiles)
	}

	var bs bytes.Buffer
	if err := Benchstat(&bs, r); err != nil {
		t.Fatal(err)
	}
	n := 0
	for rd := benchfmt.NewReader(&bs, "bench.txt"); rd.Scan(); {
		res, ok := rd.Result().(*benchfmt.Result)
		if !ok {
			t.Fatalf("benchfmt: %v", rd.Result())
		}
		if strings.Contains(string(res.Name), "cmd:llama2c") {
			n++
			if got := string(res.GetConfig("cmd-llama2c")); got != line {
				t.Errorf("benchfmt config cmd-llama2c = %q", got)
			}
		}
	}
	if n != 10 {
		t.Errorf("benchfmt read %d results of the command, want 10", n)
	}
}
