package runner_test

import (
	"strings"
	"testing"

	"github.com/retrollama/retrollama/bench/internal/benchtest"
	. "github.com/retrollama/retrollama/bench/runner"
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

func TestUntilCI(t *testing.T) {
	for _, tt := range []struct {
		halfWidth float64
		want      int
	}{{0.001, 3}, {0.5, 6}} {
		c := benchtest.Config(t, "once", "again")
		c.UntilCI, c.MaxRuns = 0.02, 6
		c.HalfWidth = func([]float64) float64 { return tt.halfWidth }
		r, err := Run(c)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(r.Profiles[0].GenTokPerSec); got != tt.want {
			t.Errorf("half-width %g: %d runs, want %d", tt.halfWidth, got, tt.want)
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
