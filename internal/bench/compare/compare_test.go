package compare

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/retrollama/retrollama/internal/bench"
)

// base is a report as "bench" saves it: every compared field set.
func base() *bench.Report {
	return &bench.Report{
		Schema:  bench.SchemaVersion,
		Created: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC),
		Env: bench.Environment{
			GOOS: "linux", GOARCH: "amd64", GoVersion: "go1.26.0",
			CPU: "AMD Ryzen 7 5800X 8-Core Processor", CPUFeatures: []string{"avx2", "fma"}, NumCPU: 16,
			Hostname:    "bench1",
			KernelsHash: strings.Repeat("ab", 32), ModelHash: strings.Repeat("cd", 32), Model: "synthetic:stories15M",
			Providers: map[string]string{"builtin.avx2": "v1", "wasm.simd": "sha256:0011"},
		},
		Settings: bench.Settings{GenTokens: 256, PromptTokens: 32, Runs: 10, Warmup: 1, Threads: 1},
		Profiles: []bench.Profile{
			{Name: "reference", Label: "A"},
			{Name: "fast", Label: "B"},
			{Name: "cmd:llama2c", Label: "C", Command: []string{"./run", "m.bin", "-n", "256"}},
		},
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name     string
		change   func(r *bench.Report) // applied to the new report
		field    string                // the one difference expected; "" for none
		severity bench.Severity
	}{
		{"same", func(r *bench.Report) {}, "", ""},
		{"created and model path are information only", func(r *bench.Report) {
			r.Created = r.Created.Add(time.Hour)
			r.Env.Model = "/models/s15.bin"
		}, "", ""},
		{"profile order", func(r *bench.Report) { r.Profiles[1], r.Profiles[2] = r.Profiles[2], r.Profiles[1] }, "", ""},

		{"schema", func(r *bench.Report) { r.Schema = 2 }, "schema", bench.Refuse},
		{"model hash", func(r *bench.Report) { r.Env.ModelHash = strings.Repeat("ef", 32) }, "environment.model_sha256", bench.Refuse},
		{"generated tokens", func(r *bench.Report) { r.Settings.GenTokens = 8 }, "settings.gen_tokens", bench.Refuse},
		{"prompt tokens", func(r *bench.Report) { r.Settings.PromptTokens = 0 }, "settings.prompt_tokens", bench.Refuse},
		{"threads", func(r *bench.Report) { r.Settings.Threads = 2 }, "settings.threads", bench.Refuse},
		{"baseline profile", func(r *bench.Report) { r.Profiles[0], r.Profiles[1] = r.Profiles[1], r.Profiles[0] }, "profiles[0].name", bench.Refuse},

		{"goos", func(r *bench.Report) { r.Env.GOOS = "darwin" }, "environment.goos", bench.Warn},
		{"goarch", func(r *bench.Report) { r.Env.GOARCH = "386" }, "environment.goarch", bench.Warn},
		{"go386", func(r *bench.Report) { r.Env.GO386 = "softfloat" }, "environment.go386", bench.Warn},
		{"cpu", func(r *bench.Report) { r.Env.CPU = "Pentium II (Deschutes)" }, "environment.cpu", bench.Warn},
		{"cpu features", func(r *bench.Report) { r.Env.CPUFeatures = []string{"mmx"} }, "environment.cpu_features", bench.Warn},
		{"num cpu", func(r *bench.Report) { r.Env.NumCPU = 2 }, "environment.num_cpu", bench.Warn},
		{"machine", func(r *bench.Report) { r.Env.Hostname = "farm7" }, "environment.hostname", bench.Warn},
		{"go version", func(r *bench.Report) { r.Env.GoVersion = "go1.25.3" }, "environment.go_version", bench.Warn},
		{"kernels.hcl", func(r *bench.Report) { r.Env.KernelsHash = "00" }, "environment.kernels_hcl_sha256", bench.Warn},
		{"wazero engine", func(r *bench.Report) { r.Env.WazeroMode = "interpreter" }, "environment.wazero_engine", bench.Warn},
		{"provider version", func(r *bench.Report) {
			r.Env.Providers = map[string]string{"builtin.avx2": "v2", "wasm.simd": "sha256:0011"}
		},
			"environment.providers.builtin.avx2", bench.Warn},
		{"provider only in new", func(r *bench.Report) { r.Env.Providers["plugin.c"] = "1" }, "environment.providers.plugin.c", bench.Warn},
		{"provider only in old", func(r *bench.Report) { r.Env.Providers = map[string]string{"builtin.avx2": "v1"} },
			"environment.providers.wasm.simd", bench.Warn},
		{"warmup", func(r *bench.Report) { r.Settings.Warmup = 0 }, "settings.warmup", bench.Warn},
		{"isolate", func(r *bench.Report) { r.Settings.Isolate = true }, "settings.isolate", bench.Warn},
		{"runs", func(r *bench.Report) { r.Settings.Runs = 4 }, "settings.runs", bench.Warn},
		{"until-ci", func(r *bench.Report) { r.Settings.UntilCI = 0.02 }, "settings.until_ci", bench.Warn},
		{"max runs", func(r *bench.Report) { r.Settings.MaxRuns = 50 }, "settings.max_runs", bench.Warn},
		{"profile only in old", func(r *bench.Report) { r.Profiles = r.Profiles[:2] }, "profiles", bench.Warn},
		{"command arguments", func(r *bench.Report) { r.Profiles[2].Command = []string{"./run", "m.bin", "-n", "64"} },
			"profiles.cmd:llama2c.command", bench.Warn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old, new := base(), base()
			tt.change(new)
			ds := Check(old, new)
			if tt.field == "" {
				if len(ds) != 0 {
					t.Fatalf("Check found %+v, want no difference", ds)
				}
				return
			}
			if len(ds) != 1 {
				t.Fatalf("Check found %d differences %+v, want one in %s", len(ds), ds, tt.field)
			}
			d := ds[0]
			if d.Field != tt.field || d.Severity != tt.severity || d.Reason == "" {
				t.Errorf("Check = %+v, want field %s severity %s with a reason", d, tt.field, tt.severity)
			}
			if d.Old == d.New {
				t.Errorf("difference %+v names equal values", d)
			}
			// Symmetric: swapping the reports finds the same field.
			if back := Check(new, old); len(back) != 1 || back[0].Field != tt.field || back[0].Old != d.New {
				t.Errorf("Check(new, old) = %+v, want %s with the values swapped", back, tt.field)
			}
		})
	}
}

func TestCheckValues(t *testing.T) {
	old, new := base(), base()
	new.Settings.GenTokens = 8
	new.Env.CPU = "Pentium II"
	new.Settings.UntilCI = 0.02
	ds := Check(old, new)
	want := []bench.Difference{
		{Field: "settings.gen_tokens", Old: "256", New: "8", Severity: bench.Refuse},
		{Field: "settings.until_ci", Old: "off", New: "2%", Severity: bench.Warn},
		{Field: "environment.cpu", Old: "AMD Ryzen 7 5800X 8-Core Processor", New: "Pentium II", Severity: bench.Warn},
	}
	if len(ds) != len(want) {
		t.Fatalf("Check = %+v, want %d differences", ds, len(want))
	}
	for i, w := range want {
		if d := ds[i]; d.Field != w.Field || d.Old != w.Old || d.New != w.New || d.Severity != w.Severity {
			t.Errorf("difference %d = %+v, want %+v (refused first)", i, d, w)
		}
	}
}

func TestBetween(t *testing.T) {
	old, new := base(), base()
	new.Settings.GenTokens = 8     // refused
	new.Env.GoVersion = "go1.25.3" // warned

	_, err := Between(old, new, Options{})
	var refused *RefusedError
	if !errors.As(err, &refused) {
		t.Fatalf("Between = %v, want a *RefusedError", err)
	}
	if len(refused.Differences) != 2 {
		t.Errorf("RefusedError holds %+v, want the refused difference and the warning", refused.Differences)
	}
	msg := err.Error()
	for _, want := range []string{"not comparable", "1 refused difference", "--force", "REFUSE", "settings.gen_tokens", "256", "8",
		"environment.go_version", "go1.25.3"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	for _, line := range strings.Split(msg, "\n") {
		if n := len([]rune(line)); n > 120 {
			t.Errorf("error line of %d columns: %q", n, line)
		}
	}

	b, err := Between(old, new, Options{Force: true})
	if err != nil {
		t.Fatalf("forced: %v", err)
	}
	if !b.Forced || len(Refused(b.Differences)) != 1 || b.Old.Settings.GenTokens != 256 || b.New.Settings.GenTokens != 8 {
		t.Errorf("forced Between = %+v, want Forced with the refused difference and both heads", b)
	}

	new.Settings.GenTokens = 256
	b, err = Between(old, new, Options{})
	if err != nil || b.Forced || len(b.Differences) != 1 {
		t.Errorf("warnings only: %+v, %v; want comparable with one warning, not forced", b, err)
	}
	b, err = Between(old, new, Options{Force: true})
	if err != nil || b.Forced {
		t.Errorf("force without a refused difference: %+v, %v; want Forced false", b, err)
	}
	if _, err := Between(nil, new, Options{}); err == nil {
		t.Error("Between(nil, ...) succeeded")
	}
}

func TestDisplay(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "n/a"},
		{"go1.26.0", "go1.26.0"},
		{strings.Repeat("ab", 32), "abababababab…"},
		{"0123456789abcdef", "0123456789abcdef"}, // 16: short enough
		{"AMD Ryzen 7 5800X 8-Core Processor", "AMD Ryzen 7 5800X 8-Core Processor"},
	}
	for _, tt := range tests {
		if got := Display(tt.in); got != tt.want {
			t.Errorf("Display(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSummary(t *testing.T) {
	refuse := bench.Difference{Severity: bench.Refuse}
	warn := bench.Difference{Severity: bench.Warn}
	tests := []struct {
		ds     []bench.Difference
		forced bool
		want   string
	}{
		{nil, false, "comparable: no difference in model, settings or environment"},
		{[]bench.Difference{warn, warn}, false, "comparable, with 2 warnings"},
		{[]bench.Difference{refuse, warn}, false, "NOT COMPARABLE: 1 refused difference, 1 warning"},
		{[]bench.Difference{refuse, refuse}, true, "NOT COMPARABLE, compared anyway (forced): 2 refused differences, 0 warnings"},
	}
	for _, tt := range tests {
		if got := Summary(tt.ds, tt.forced); got != tt.want {
			t.Errorf("Summary(%v, %v) = %q, want %q", tt.ds, tt.forced, got, tt.want)
		}
	}
}
