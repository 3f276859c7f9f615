// Package benchtest holds test doubles for bench's tests: providers whose
// speed relation to the scalar reference is known, and one that fails.
package benchtest

import (
	"testing"

	"github.com/retrollama/retrollama/internal/bench/runner"
	"github.com/retrollama/retrollama/internal/host/kernelsfile"
	"github.com/retrollama/retrollama/internal/host/registry"
	"github.com/retrollama/retrollama/internal/host/synthetic"
	"github.com/retrollama/retrollama/internal/kernels/builtin"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// twice is the scalar reference doing all of its work two times: a
// provider exactly half as fast, to check that bench finds the factor.
// The first call of in-place ops works on scratch copies.
type twice struct {
	*scalar.Provider
	scratch [4][]float32
	fail    bool // fail every matmul (a provider failing mid-run)
}

func (t *twice) Name() string { return "twice" }

func (t *twice) copy(i int, x []float32) []float32 {
	t.scratch[i] = append(t.scratch[i][:0], x...)
	return t.scratch[i]
}

func (t *twice) MatMul(out []float32, w kernels.Weight, x []float32) error {
	if t.fail {
		return errFailing
	}
	t.Provider.MatMul(out, w, x)
	return t.Provider.MatMul(out, w, x)
}

func (t *twice) RMSNorm(out, x []float32, w kernels.Weight) error {
	t.Provider.RMSNorm(t.copy(0, out), t.copy(1, x), w)
	return t.Provider.RMSNorm(out, x, w)
}

func (t *twice) RoPE(q, k []float32, pos int) error {
	t.Provider.RoPE(t.copy(0, q), t.copy(1, k), pos)
	return t.Provider.RoPE(q, k, pos)
}

func (t *twice) Attention(out, q, keys, values []float32, pos int) error {
	t.Provider.Attention(out, q, keys, values, pos)
	return t.Provider.Attention(out, q, keys, values, pos)
}

func (t *twice) SwiGLU(gate, up []float32) error {
	t.Provider.SwiGLU(t.copy(0, gate), up)
	return t.Provider.SwiGLU(gate, up)
}

type failing string

func (f failing) Error() string { return string(f) }

// errFailing is the failing double's error.
const errFailing = failing("matmul unit on fire")

// errElsewhere is why the "elsewhere" double cannot run.
const errElsewhere = failing("needs a CPU this is not")

// Catalog is the builtin catalog plus the test doubles "twice" (half as
// fast as scalar, same results), "failing" (every matmul fails) and
// "elsewhere" (cannot run on this machine).
func Catalog() []builtin.Info {
	always := func() error { return nil }
	return append(builtin.All(),
		builtin.Info{Name: "twice", Usable: always, New: func(builtin.Options) kernels.Provider { return &twice{Provider: scalar.New()} }},
		builtin.Info{Name: "failing", Usable: always, New: func(builtin.Options) kernels.Provider { return &twice{Provider: scalar.New(), fail: true} }},
		builtin.Info{Name: "elsewhere", Usable: func() error { return errElsewhere },
			New: func(builtin.Options) kernels.Provider { return &twice{Provider: scalar.New()} }},
	)
}

// Kernels declares profiles once/again (scalar), twice, failing (with
// on_error = "fallback"), failing-strict and elsewhere (neither).
const Kernels = `
provider "builtin" "scalar" {}
provider "builtin" "twice" {}
provider "builtin" "failing" {}
provider "builtin" "elsewhere" {}
profile "once"    { default = [builtin.scalar] }
profile "again"   { default = [builtin.scalar] }
profile "twice"   { default = [builtin.twice] }
profile "failing" {
  default  = [builtin.failing]
  on_error = "fallback"
}
profile "failing-strict" { default = [builtin.failing] }
profile "elsewhere" { default = [builtin.elsewhere, builtin.scalar] }
`

// Config is a small runner configuration on synthetic stories260K.
func Config(t testing.TB, profiles ...string) *runner.Config {
	t.Helper()
	f, diags := registry.ParseWith("test.hcl", []byte(Kernels), Catalog())
	if diags.HasErrors() {
		t.Fatal(kernelsfile.DiagnosticsError(f, diags))
	}
	ck, err := synthetic.Model("stories260K")
	if err != nil {
		t.Fatal(err)
	}
	return &runner.Config{Profiles: profiles, Kernels: f, Builtins: Catalog(), Checkpoint: ck, GenTokens: 24, PromptTokens: 8, Runs: 3, Warmup: 1}
}
