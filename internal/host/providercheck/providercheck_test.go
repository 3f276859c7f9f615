package providercheck_test

import (
	"errors"
	"testing"

	"github.com/retrollama/retrollama/internal/host/providercheck"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/conformance"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// decliner declines every call, like a provider for another dtype.
type decliner struct{ *scalar.Provider }

func (decliner) Supports(kernels.Query) kernels.Support {
	return kernels.Support{Reason: "not here"}
}

// brokenSoftmax fails every Softmax call.
type brokenSoftmax struct{ *scalar.Provider }

func (brokenSoftmax) Softmax([]float32) error { return errors.New("softmax exploded") }

// smallCases keeps the suite fast: a few of its small shapes.
func smallCases() []conformance.Case {
	var cs []conformance.Case
	for _, c := range conformance.DefaultCases() {
		if c.Name == "tiny" || c.Name == "odd n=7" {
			cs = append(cs, c)
		}
	}
	return cs
}

// TestCheck: a provider that passes every case passes, one that fails a
// case fails, and one that declines everything is skipped with why; the
// counts add up to the results.
func TestCheck(t *testing.T) {
	tests := []struct {
		name        string
		f           conformance.Factory
		want        providercheck.Verdict
		failed      bool // some case failed
		passed      bool // some case passed
		skippedOnly bool // every case was declined
	}{
		{name: "scalar", f: func() kernels.Provider { return scalar.New() }, want: providercheck.Pass, passed: true},
		{name: "broken-softmax", f: func() kernels.Provider { return brokenSoftmax{scalar.New()} }, want: providercheck.Fail, failed: true, passed: true},
		{name: "decliner", f: func() kernels.Provider { return decliner{scalar.New()} }, want: providercheck.Skip, skippedOnly: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := providercheck.Check(tt.name, tt.f, providercheck.Options{Cases: smallCases()})
			if r.Ref != tt.name || r.Verdict != tt.want {
				t.Fatalf("ref %q verdict %v, want %q %v", r.Ref, r.Verdict, tt.name, tt.want)
			}
			if len(r.Results) == 0 || r.Passed+r.Failed+r.Skipped != len(r.Results) {
				t.Errorf("passed %d + failed %d + skipped %d != %d results", r.Passed, r.Failed, r.Skipped, len(r.Results))
			}
			if (r.Failed > 0) != tt.failed || (r.Passed > 0) != tt.passed {
				t.Errorf("passed %d failed %d, want some passed %v, some failed %v", r.Passed, r.Failed, tt.passed, tt.failed)
			}
			if tt.skippedOnly != (r.Why != "") {
				t.Errorf("why %q, want one only when every case was declined", r.Why)
			}
		})
	}
}

// TestOverall: any FAIL fails the whole check, else any PASS passes it,
// else it is SKIP; the counts are per verdict.
func TestOverall(t *testing.T) {
	pass, fail, skip := providercheck.Report{Verdict: providercheck.Pass}, providercheck.Report{Verdict: providercheck.Fail}, providercheck.Report{}
	tests := []struct {
		name    string
		reports []providercheck.Report
		want    providercheck.Verdict
	}{
		{"none", nil, providercheck.Skip},
		{"skip", []providercheck.Report{skip}, providercheck.Skip},
		{"skip-pass", []providercheck.Report{skip, pass}, providercheck.Pass},
		{"pass-fail-skip", []providercheck.Report{pass, fail, skip}, providercheck.Fail},
		{"fail-pass", []providercheck.Report{fail, pass}, providercheck.Fail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, counts := providercheck.Overall(tt.reports)
			if got != tt.want {
				t.Errorf("overall %v, want %v", got, tt.want)
			}
			n := 0
			for _, c := range counts {
				n += c
			}
			if n != len(tt.reports) {
				t.Errorf("counts %v do not add up to %d reports", counts, len(tt.reports))
			}
		})
	}
}
