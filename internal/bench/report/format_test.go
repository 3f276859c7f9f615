package report

import (
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/bench"
)

// TestFormat pins the number formats the text outputs are built from.
func TestFormat(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"seconds zero", seconds(0), "0 s"},
		{"seconds µs", seconds(850e-6), "850 µs"},
		{"seconds small µs", seconds(1.5e-6), "1.50 µs"},
		{"seconds ms", seconds(0.0123), "12.3 ms"},
		{"seconds s", seconds(1.25), "1.25 s"},
		{"bytes", bytesIEC(512), "512 B"},
		{"KiB", bytesIEC(1536), "1.5 KiB"},
		{"MiB", bytesIEC(47_395_635), "45.2 MiB"},
		{"GiB", bytesIEC(3 << 30), "3.0 GiB"},
		{"calls whole", calls(43), "43"},
		{"calls fraction", calls(1.5), "1.50"},
		{"percent", percent(0.1234), "12.3%"},
		{"signed +", signedPercent(0.031), "+3.1%"},
		{"signed -", signedPercent(-0.02), "-2.0%"},
		{"rate", rate(412.345), "412.3"},
		{"interval", intervalCell(10, 405.06, 418), "[405.1, 418.0]"},
		{"interval empty", intervalCell(0, 1, 2), "n/a"},
		{"sci", sci(3.14e-6), "3.1e-06"},
		{"short hash", shortHash("0123456789abcdef"), "0123456789ab"},
		{"short hash empty", shortHash(""), "n/a"},
		{"oneLine", oneLine("a\r\nb \t c"), "a b c"},
		{"md escape", mdEscape("|x| *y* <b> [l](u) a_b"), `\|x\| \*y\* \<b\> \[l\](u) a\_b`},
		{"metric", metricName("tg_tok_per_sec"), "generation"},
		{"metric unknown", metricName("x"), "x"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

// TestMedianPeak covers the small maths the Report does not store.
func TestMedianPeak(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
		ok   bool
	}{
		{nil, 0, false},
		{[]float64{3}, 3, true},
		{[]float64{3, 1, 2}, 2, true},
		{[]float64{4, 1, 3, 2}, 2.5, true},
	}
	for _, tt := range tests {
		in := append([]float64(nil), tt.in...)
		got, ok := median(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("median(%v) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
		for i := range in {
			if in[i] != tt.in[i] {
				t.Errorf("median modified its input")
			}
		}
	}
	if p, ok := peak([]int64{5, 9, 2}); p != 9 || !ok {
		t.Errorf("peak = %d, %v", p, ok)
	}
	if _, ok := peak(nil); ok {
		t.Error("peak(nil) ok")
	}
}

// TestOpShares checks the per-op shares add up and degrade gracefully.
func TestOpShares(t *testing.T) {
	ops := []bench.OpTime{
		{Op: "b", Provider: "go", ComputeSeconds: 1e-3},
		{Op: "a", Provider: "wasm", ComputeSeconds: 0.5e-3, BoundarySeconds: 0.5e-3},
		{Op: "c", Provider: "go", ComputeSeconds: 0.5e-3},
	}
	tests := []struct {
		name      string
		p         bench.Profile
		wantRows  []string // op names in order
		wantTotal string   // "all ops" share
		wantRest  string   // "(unattributed)" share, "" when absent
	}{
		{
			name:      "token time from median and overhead",
			p:         bench.Profile{Ops: ops, Gen: bench.Summary{N: 1, Median: 400}, InstrumentationOverhead: 0.25}, // 3.125 ms/token
			wantRows:  []string{"a", "b", "c"},
			wantTotal: "80.0%",
			wantRest:  "20.0%",
		},
		{
			name:      "no median: ops are the token",
			p:         bench.Profile{Ops: ops},
			wantRows:  []string{"a", "b", "c"},
			wantTotal: "100.0%",
		},
		{
			name:      "ops overrun the token",
			p:         bench.Profile{Ops: ops, Gen: bench.Summary{N: 1, Median: 1000}},
			wantRows:  []string{"a", "b", "c"},
			wantTotal: "100.0%",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sec := opBreakdown(tt.p)
			var names []string
			for _, r := range sec.table.rows {
				names = append(names, r[0])
			}
			if len(names) != len(tt.wantRows) {
				t.Fatalf("rows %v, want %v", names, tt.wantRows)
			}
			for i := range names {
				if names[i] != tt.wantRows[i] {
					t.Fatalf("rows %v, want %v", names, tt.wantRows)
				}
			}
			if got := sec.table.footer[0][5]; got != tt.wantTotal {
				t.Errorf("all ops share %s, want %s", got, tt.wantTotal)
			}
			rest := ""
			if len(sec.table.footer) > 1 {
				rest = sec.table.footer[1][5]
			}
			if rest != tt.wantRest {
				t.Errorf("unattributed share %q, want %q", rest, tt.wantRest)
			}
		})
	}
}

// TestEnvironmentListsProvidersThatRan: the text report's providers line
// names the providers that ran and counts the rest (long lists went
// past the terminal's width).
func TestEnvironmentListsProvidersThatRan(t *testing.T) {
	r := fixtureReport()
	r.Env.Providers = map[string]string{"builtin.go": "v1", "builtin.simd": "v2", "builtin.wasm": "v3", "builtin.idle": "v4", "plugin.unbuilt": "v5"}
	var b strings.Builder
	if err := Text(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"builtin.go v1", "builtin.simd v2", "(2 more declared, not run"} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "builtin.idle") {
		t.Errorf("text lists a provider that did not run:\n%s", out)
	}
}
