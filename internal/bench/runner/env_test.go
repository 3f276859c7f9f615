package runner_test

import (
	"runtime"
	"testing"

	"github.com/retrollama/retrollama/internal/bench/benchtest"
	. "github.com/retrollama/retrollama/internal/bench/runner"
)

// TestHostEnvironment: without a model the machine and build are still
// described; the kernels file's hash and providers only when given one.
func TestHostEnvironment(t *testing.T) {
	c := benchtest.Config(t, "once")
	tests := []struct {
		name      string
		withFile  bool
		providers int
	}{
		{"no kernels file", false, 0},
		{"kernels file", true, len(c.Kernels.Providers)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := c.Kernels
			if !tt.withFile {
				f = nil
			}
			e := HostEnvironment(f)
			if e.GOOS != runtime.GOOS || e.GOARCH != runtime.GOARCH || e.NumCPU != runtime.NumCPU() || e.CPU == "" || e.GoVersion == "" {
				t.Errorf("machine not described: %+v", e)
			}
			if e.Model != "" || e.ModelHash != "" {
				t.Errorf("a model without one: %q %q", e.Model, e.ModelHash)
			}
			if (e.KernelsHash != "") != tt.withFile || len(e.Providers) != tt.providers {
				t.Errorf("kernels hash %q, %d providers, want %d", e.KernelsHash, len(e.Providers), tt.providers)
			}
		})
	}
	// Environment is HostEnvironment plus the model.
	e := Environment(c.Kernels, c.Checkpoint)
	if h := HostEnvironment(c.Kernels); e.Model != c.Checkpoint.Path || e.ModelHash == "" || e.KernelsHash != h.KernelsHash || len(e.Providers) != len(h.Providers) {
		t.Errorf("Environment %+v", e)
	}
}
