package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// notAvailable is printed where a number could not be measured.
const notAvailable = "n/a"

// sci formats a tiny quantity such as a logit difference: "3.1e-06".
func sci(v float64) string {
	return strconv.FormatFloat(v, 'e', 1, 64)
}

// rate formats tokens/s with one decimal: "412.3".
func rate(v float64) string {
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// ratio formats a speedup: "1.004".
func ratio(v float64) string {
	return strconv.FormatFloat(v, 'f', 3, 64)
}

// rateCell formats a Summary's median tokens/s, or n/a without samples.
func rateCell(n int, median float64) string {
	if n == 0 {
		return notAvailable
	}
	return rate(median)
}

// intervalCell formats a Summary's CI in tokens/s: "[405.1, 418.0]", n/a
// without samples, and "none (1 run)" for one sample, which has no
// interval (a partial report can hold one).
func intervalCell(n int, lo, hi float64) string {
	switch n {
	case 0:
		return notAvailable
	case 1:
		return "none (1 run)"
	}
	return "[" + rate(lo) + ", " + rate(hi) + "]"
}

// seconds formats a duration given in seconds with a unit that keeps
// three significant digits readable: "850 µs", "12.3 ms", "1.25 s".
func seconds(s float64) string {
	d := time.Duration(s * float64(time.Second))
	switch {
	case d == 0:
		return "0 s"
	case d < time.Millisecond:
		return sig3(s*1e6) + " µs"
	case d < time.Second:
		return sig3(s*1e3) + " ms"
	}
	return sig3(s) + " s"
}

// sig3 formats v with three significant digits and no exponent.
func sig3(v float64) string {
	if v == 0 {
		return "0"
	}
	decimals := max(2-int(math.Floor(math.Log10(math.Abs(v)))), 0)
	return strconv.FormatFloat(v, 'f', decimals, 64)
}

// bytesIEC formats a byte count with binary prefixes: "45.2 MiB".
func bytesIEC(b int64) string {
	const unit = 1024
	if b < unit {
		return strconv.FormatInt(b, 10) + " B"
	}
	v := float64(b)
	prefixes := "KMGTPE"
	i := -1
	for v >= unit && i < len(prefixes)-1 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, prefixes[i])
}

// micros formats seconds as microseconds with one decimal: "210.0".
func micros(s float64) string {
	return strconv.FormatFloat(s*1e6, 'f', 1, 64)
}

// percent formats a fraction as a percentage: 0.1234 → "12.3%".
func percent(f float64) string {
	return strconv.FormatFloat(f*100, 'f', 1, 64) + "%"
}

// signedPercent formats a fraction as a signed percentage: "+3.2%".
func signedPercent(f float64) string {
	s := percent(f)
	if f >= 0 {
		s = "+" + s
	}
	return s
}

// calls formats a call count per token: whole counts without decimals.
func calls(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// shortHash abbreviates a hex digest for humans; saved JSON keeps it whole.
func shortHash(h string) string {
	const n = 12
	if h == "" {
		return notAvailable
	}
	if len(h) <= n {
		return h
	}
	return h[:n]
}

// metricName names a Comparison metric for readers.
func metricName(m string) string {
	switch m {
	case "tg_tok_per_sec":
		return "generation"
	case "pp_tok_per_sec":
		return "prompt processing"
	}
	return m
}

// plural returns "1 run" or "10 runs".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// oneLine replaces line breaks so a value cannot break a line-based
// format (benchstat config lines, table cells).
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\r", " ")), " ")
}
