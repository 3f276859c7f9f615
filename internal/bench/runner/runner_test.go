package runner_test

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/bench/benchtest"
	. "github.com/retrollama/retrollama/internal/bench/runner"
	"github.com/retrollama/retrollama/internal/bench/stats"
)

func TestRunRecordsEverything(t *testing.T) {
	c := benchtest.Config(t, "once", "twice")
	progress := 0
	c.Progress = func(done, total int) { progress = done }
	r, err := Run(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Profiles) != 2 || r.Profiles[1].Label != "B" || progress != 3 {
		t.Fatalf("profiles %+v, progress %d", r.Profiles, progress)
	}
	for _, p := range r.Profiles {
		if len(p.GenTokPerSec) != 3 || len(p.PromptTokPerSec) != 3 || len(p.TTFTSeconds) != 3 || p.PeakRSSBytes[0] <= 0 {
			t.Errorf("%s: samples %+v", p.Name, p)
		}
		ops := map[string]float64{}
		for _, o := range p.Ops {
			ops[o.Op] = o.Calls
		}
		// stories260K: 5 layers × 7 matmuls + the classifier per token.
		if ops["matmul"] != 36 || ops["attention"] != 5 || ops["rmsnorm"] != 11 {
			t.Errorf("%s: calls per token %v", p.Name, ops)
		}
	}
	// twice computes exactly what the reference computes.
	c0 := r.Correctness[0]
	if c0.FirstDivergence != -1 || c0.MaxAbsLogitDiff != 0 || c0.NMSE != 0 || c0.Steps != 24 {
		t.Errorf("correctness %+v", c0)
	}
}

// TestNoSilentSubstitution: a provider that fails a call or cannot run
// here is an error unless fallback was asked for (on_error = "fallback"
// in the profile, or Config.Fallback); with it the report names what ran
// instead, in the profile and in the headline verdict.
func TestNoSilentSubstitution(t *testing.T) {
	cases := []struct {
		name     string
		profile  string
		fallback bool
		wantErr  string // "" = runs, with a substitution naming wantWhy
		wantWhy  string
	}{
		{"failing call, on_error fail", "failing-strict", false, "on fire", ""},
		{"failing call, on_error fallback", "failing", false, "", "on fire"},
		{"cannot run here", "elsewhere", false, "builtin.elsewhere (for matmul) cannot run here: needs a CPU this is not", ""},
		{"cannot run here, --fallback", "elsewhere", true, "", "builtin.elsewhere: needs a CPU this is not"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := benchtest.Config(t, "once", c.profile)
			cfg.Fallback = c.fallback
			r, err := Run(cfg)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) || !strings.Contains(err.Error(), c.profile) {
					t.Fatalf("err = %v, want one naming %s and %q", err, c.profile, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			p := r.Profiles[1]
			if p.RanAsNamed() || !strings.Contains(p.SubstitutionNote(), c.wantWhy) || !strings.Contains(p.SubstitutionNote(), "builtin.scalar") {
				t.Errorf("substitutions %+v, want one naming builtin.scalar and %q", p.Substitutions, c.wantWhy)
			}
			if r.Profiles[0].RanAsNamed() == false {
				t.Errorf("the baseline ran as named, but %+v", r.Profiles[0].Substitutions)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"one run", func(c *Config) { c.Runs = 1 }, "at least 2 runs"},
		{"no tokens", func(c *Config) { c.GenTokens = 0 }, "at least 1 token"},
		{"too long", func(c *Config) { c.GenTokens = 600 }, "exceed the model's context"},
		{"bad until-ci", func(c *Config) { c.UntilCI = 2 }, "--until-ci"},
		{"NaN until-ci", func(c *Config) { c.UntilCI = math.NaN() }, "--until-ci"},
		{"until-ci without max-runs", func(c *Config) { c.UntilCI, c.HalfWidth = 0.02, stats.HalfWidth }, "--max-runs 0: --until-ci needs at least 2"},
		{"until-ci without half-width", func(c *Config) { c.UntilCI, c.MaxRuns = 0.02, 10 }, "UntilCI needs HalfWidth"},
		{"two isolation hooks", func(c *Config) {
			c.Isolated = func(string) (Sample, int64, error) { return Sample{}, 0, nil }
			c.IsolatedContext = func(context.Context, string) (Sample, int64, error) { return Sample{}, 0, nil }
		}, "not both"},
		{"no profiles", func(c *Config) { c.Profiles = nil }, "profiles"},
	}
	for _, tt := range tests {
		c := benchtest.Config(t, "once", "twice")
		tt.edit(c)
		if _, err := Run(c); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
	if _, err := Run(benchtest.Config(t, "once", "nope")); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown profile: %v", err)
	}
}

func TestSequenceIsDeterministicAndInRange(t *testing.T) {
	a, b := Sequence(512, 100), Sequence(512, 100)
	for i := range a {
		if a[i] != b[i] || a[i] < 0 || a[i] >= 512 {
			t.Fatalf("token %d: %d vs %d", i, a[i], b[i])
		}
	}
	if a[0] != 1 {
		t.Errorf("sequence starts with %d, want BOS", a[0])
	}
}

// TestUntilCI: --until-ci stops as soon as every tg CI is narrow enough,
// never makes more than MaxRuns runs per profile (even when Runs asks for
// more: the user's --until-ci 1% --max-runs 6 made 10), and warns, naming
// the profile, when the target was missed. Samples come from fake
// sources through the real half-width of bench/stats.
func TestUntilCI(t *testing.T) {
	steady := func(call int) float64 { return 100 + float64(call%3)*0.01 } // converges at 6 runs, the fewest with a 95% CI
	// Calls alternate between the profiles: once gets 180, 140, ... (CI
	// 140…180 around 160: ±12.5%), again 60, 100, ... (60…100 around 80: ±25%).
	noisy := func(call int) float64 { return []float64{100, 180, 60, 140}[call%4] }
	for _, tt := range []struct {
		name          string
		value         func(int) float64
		runs, maxRuns int
		want          int // runs per profile
		warnings      []string
	}{
		{"converges", steady, 3, 20, 6, nil},
		{"converges after runs", steady, 8, 20, 8, nil},
		{"never converges", noisy, 3, 8, 8, []string{
			"tg 95% CI half-width of once is 12.5%, above the --until-ci target 1% after the maximum 8 runs",
			"tg 95% CI half-width of again is 25%, above the --until-ci target 1% after the maximum 8 runs"}},
		{"runs above max-runs", noisy, 10, 6, 6, []string{
			"tg 95% CI half-width of once is 12.5%, above the --until-ci target 1% after the maximum 6 runs",
			"tg 95% CI half-width of again is 25%, above the --until-ci target 1% after the maximum 6 runs"}},
		{"too few for a CI", steady, 3, 4, 4, []string{
			"tg 95% CI of once cannot be computed from 4 runs, so the --until-ci target 1% was not reached after the maximum 4 runs",
			"tg 95% CI of again cannot be computed from 4 runs, so the --until-ci target 1% was not reached after the maximum 4 runs"}},
	} {
		src := &fakeSource{value: tt.value}
		c := benchtest.Config(t, "once", "again")
		c.Runs, c.UntilCI, c.MaxRuns, c.HalfWidth, c.IsolatedContext = tt.runs, 0.01, tt.maxRuns, stats.HalfWidth, src.run
		lastTotal := 0
		c.Progress = func(done, total int) { lastTotal = total }
		r, err := Run(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range r.Profiles {
			if got := len(p.GenTokPerSec); got != tt.want {
				t.Errorf("%s: %s made %d runs, want %d", tt.name, p.Name, got, tt.want)
			}
		}
		if r.Settings.Runs != tt.want || r.Settings.MaxRuns != tt.maxRuns || r.Settings.UntilCI != 0.01 || r.Partial {
			t.Errorf("%s: settings %+v, partial %v", tt.name, r.Settings, r.Partial)
		}
		if !slices.Equal(r.Warnings, tt.warnings) {
			t.Errorf("%s: warnings\n%q\nwant\n%q", tt.name, r.Warnings, tt.warnings)
		}
		if lastTotal != tt.maxRuns || c.PlannedRuns() != tt.maxRuns {
			t.Errorf("%s: progress total %d, PlannedRuns %d, want MaxRuns %d", tt.name, lastTotal, c.PlannedRuns(), tt.maxRuns)
		}
	}
}

// TestParsePercent: percentages and fractions in (0, 1), and errors that
// say what to write instead.
func TestParsePercent(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want float64
		err  string
	}{
		{"2%", 0.02, ""},
		{"0.02", 0.02, ""},
		{"0.5%", 0.005, ""},
		{" 2.5 % ", 0.025, ""},
		{"99%", 0.99, ""},
		{"0.999", 0.999, ""},
		{"1e-2", 0.01, ""},
		{"150%", 0, "150% is not below 100%"},
		{"100%", 0, "100% is not below 100%"},
		{"1", 0, "1 is not a fraction below 1: for 1 percent write 1%"},
		{"2", 0, "2 is not a fraction below 1: for 2 percent write 2%"},
		{"0", 0, "0 is not above 0"},
		{"0%", 0, "0% is not above 0"},
		{"-2%", 0, "-2% is not above 0"},
		{"abc", 0, `"abc" is not a number`},
		{"2%%", 0, `"2%%" is not a number`},
		{"NaN", 0, `"NaN" is not a number`},
		{"inf%", 0, `"inf%" is not a number`},
		{"", 0, `"": want a percentage such as 2% or a fraction such as 0.02`},
		{"%", 0, `"%": want a percentage`},
	} {
		got, err := ParsePercent(tt.in)
		switch {
		case tt.err == "" && (err != nil || math.Abs(got-tt.want) > 1e-15):
			t.Errorf("ParsePercent(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err) || got != 0):
			t.Errorf("ParsePercent(%q) = %v, %v; want an error containing %q", tt.in, got, err, tt.err)
		}
	}
}

func TestParseProfile(t *testing.T) {
	tests := []struct {
		spec    string
		name    string
		threads int
		bad     bool
	}{
		{"avx2", "avx2", 3, false},
		{"avx2@1", "avx2", 1, false},
		{"fast@2", "fast", 2, false},
		{"avx2@0", "", 0, true},
		{"avx2@two", "", 0, true},
		{"@2", "", 0, true},
	}
	for _, tt := range tests {
		name, n, err := ParseProfile(tt.spec, 3)
		if (err != nil) != tt.bad || name != tt.name || n != tt.threads {
			t.Errorf("ParseProfile(%q) = %q, %d, %v", tt.spec, name, n, err)
		}
	}
}
