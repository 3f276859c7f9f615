package report

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode"

	"github.com/retrollama/retrollama/internal/bench"
)

// benchPkg is the "pkg:" of the Benchstat output: a label, not an import
// path. It stays what it was before bench moved under internal/, since
// benchstat only compares results whose pkg agrees and saved outputs
// would otherwise stop comparing with new ones.
const benchPkg = "github.com/retrollama/retrollama/bench"

// Benchstat writes r in the Go benchmark format that benchstat and
// golang.org/x/perf/benchfmt read. A header of configuration lines
// (goos, goarch, cpu, pkg, model, kernels) is followed, per profile and
// raw run, by one line per phase:
//
//	BenchmarkPrompt/profile=fast-4 1 812.5 ns/op 1230769 tok/s
//	BenchmarkGenerate/profile=fast-4 1 1234567 ns/op 810 tok/s
//
// ns/op is nanoseconds per token. The "-4" suffix is Settings.Threads (1
// when unset), in the place Go puts GOMAXPROCS; always writing it also
// keeps a profile name that ends in "-<digits>" intact. Profiles are told apart by the
// sub-benchmark key "profile", so "benchstat -col /profile FILE" puts
// them side by side. Whitespace and "/" in a profile name become "_"
// because they would split the benchmark name. Every file carries its
// own model and kernels hash, which benchstat treats as part of the
// configuration: to compare files taken with different kernels.hcl use
// "benchstat -ignore kernels". An external command ("cmd:llama2c") adds
// the line "cmd-llama2c: ARGV" (its argv as run) and only
// BenchmarkGenerate lines, as it reports no prompt figure.
//
// A "bench compare" report (Between set) starts with the comparability
// verdict, the differences and both reports' fields side by side, every
// line prefixed "# " so that benchstat and benchfmt skip them; the
// configuration lines that follow are the new report's.
// A partial report's first line is the configuration line "partial:
// PARTIAL REPORT: <why>", and the warnings are one line "warnings: <w1> |
// <w2> ..." after the header; both are configuration that every result
// carries, so benchstat shows them beside the figures.
func Benchstat(w io.Writer, r *bench.Report) error {
	if r == nil {
		return errNilReport
	}
	bw := bufio.NewWriter(w)
	if d := between(r); d != nil {
		// benchfmt ignores lines that are neither benchmark results nor
		// "key: value" configuration; "# " makes every line such a one.
		writeTextBetween(bw, d, textWidth-2, "# ")
		bw.WriteString("\n")
	}
	config := func(key, value string) {
		if value = oneLine(value); value != "" {
			fmt.Fprintf(bw, "%s: %s\n", key, value)
		}
	}
	config("partial", partialMark(r))
	config("goos", r.Env.GOOS)
	config("goarch", r.Env.GOARCH)
	config("cpu", r.Env.CPU)
	config("pkg", benchPkg)
	config("model", r.Env.Model)
	config("kernels", r.Env.KernelsHash)
	for _, p := range r.Profiles {
		if len(p.Command) > 0 {
			config(benchKey("cmd-"+strings.TrimPrefix(p.Name, "cmd:")), p.CommandLine())
		}
		var ran []string
		for _, o := range p.Ops {
			ran = append(ran, o.Op+"="+o.Provider)
		}
		config(benchKey("providers-"+p.Name), strings.Join(ran, " "))
		if note := p.SubstitutionNote(); note != "" {
			config(benchKey("not-as-named-"+p.Name), note)
		}
	}
	config("warnings", strings.Join(r.Warnings, " | "))
	bw.WriteString("\n")
	procs := max(r.Settings.Threads, 1)
	for _, p := range r.Profiles {
		name := fmt.Sprintf("profile=%s-%d", benchName(p.Name), procs)
		for _, phase := range []struct {
			bench string
			rates []float64
		}{
			{"BenchmarkPrompt", p.PromptTokPerSec},
			{"BenchmarkGenerate", p.GenTokPerSec},
		} {
			for i, rate := range phase.rates {
				if !(rate > 0) || math.IsInf(rate, 0) {
					return fmt.Errorf("report: profile %q run %d: %s rate %v tok/s has no time per token", p.Name, i+1, phase.bench, rate)
				}
				fmt.Fprintf(bw, "%s/%s 1 %s ns/op %s tok/s\n", phase.bench, name,
					strconv.FormatFloat(1e9/rate, 'f', -1, 64), strconv.FormatFloat(rate, 'f', -1, 64))
			}
		}
	}
	return bw.Flush()
}

// benchKey makes s a configuration key: lower case, no spaces or colons.
func benchKey(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == ':' {
			return '_'
		}
		return unicode.ToLower(r)
	}, s)
}

// benchName makes s usable as one element of a benchmark name.
func benchName(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '/' {
			return '_'
		}
		return r
	}, s)
	if s == "" {
		return "_"
	}
	return s
}
