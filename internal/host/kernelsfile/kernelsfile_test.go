package kernelsfile

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/retrollama/retrollama/kernels"
)

// testBuiltins are the builtin provider names the tests parse with: the
// parser only checks names, so it needs no catalog of real providers.
var testBuiltins = []string{"scalar", "unroll4", "unroll8"}

const valid = `
provider "builtin" "scalar" {}
provider "builtin" "fast8" {
  implementation = "scalar"
  threads        = 2
}

profile "reference" {
  default  = [builtin.scalar]
  on_error = "fail"
}

profile "fast" {
  extends = reference
  default = [builtin.fast8, builtin.scalar]
  op "matmul" { use = [builtin.fast8] }
}

profile "child" {
  extends  = "fast"
  on_error = "fallback"
}

default_profiles = [fast, "reference"]

bench "fast-vs-ref" {
  profiles  = [reference, fast]
  synthetic = "stories15M"
  n         = 64
  runs      = 12
  until_ci  = 0.02
}
`

func TestParseValid(t *testing.T) {
	f, diags := Parse("k.hcl", []byte(valid), testBuiltins)
	if diags.HasErrors() {
		t.Fatal(DiagnosticsError(f, diags))
	}
	if len(f.Providers) != 2 || f.Provider("builtin.fast8").Threads != 2 || f.Provider("builtin.fast8").Implementation != "scalar" {
		t.Errorf("providers: %+v", f.Providers)
	}
	if b := f.Bench("fast-vs-ref"); b == nil || len(b.Profiles) != 2 || b.GenTokens != 64 || b.Runs != 12 || b.UntilCI != 0.02 || b.Synthetic != "stories15M" {
		t.Errorf("bench: %+v", b)
	}
	if len(f.DefaultProfiles) != 2 || f.DefaultProfiles[0].Name != "fast" || f.DefaultProfiles[1].Name != "reference" {
		t.Errorf("default_profiles: %+v", f.DefaultProfiles)
	}
}

func TestResolveInheritance(t *testing.T) {
	f, diags := Parse("k.hcl", []byte(valid), testBuiltins)
	if diags.HasErrors() {
		t.Fatal(DiagnosticsError(f, diags))
	}
	tests := []struct {
		profile, onError string
		op               kernels.Op
		want             string // refs joined
		from             string // profile that set it
		line             int
	}{
		{"reference", "fail", kernels.MatMul, "builtin.scalar", "reference", 9},
		{"fast", "fail", kernels.MatMul, "builtin.fast8", "fast", 16},
		{"fast", "fail", kernels.RoPE, "builtin.fast8,builtin.scalar", "fast", 15},
		{"child", "fallback", kernels.MatMul, "builtin.fast8", "fast", 16},
		{"child", "fallback", kernels.Softmax, "builtin.fast8,builtin.scalar", "fast", 15},
	}
	for _, tt := range tests {
		r, diags := f.Resolve(tt.profile)
		if diags.HasErrors() {
			t.Fatal(DiagnosticsError(f, diags))
		}
		route := r.Routes[tt.op]
		var refs []string
		for _, ref := range route.Use {
			refs = append(refs, ref.Name)
		}
		if got := strings.Join(refs, ","); got != tt.want || route.Profile != tt.from || route.From.Start.Line != tt.line || r.OnError != tt.onError {
			t.Errorf("%s %s: %s from %s line %d on_error %s; want %s from %s line %d on_error %s",
				tt.profile, tt.op, got, route.Profile, route.From.Start.Line, r.OnError, tt.want, tt.from, tt.line, tt.onError)
		}
	}
	if _, diags := f.Resolve("fsat"); !diags.HasErrors() || !strings.Contains(diags.Error(), `Did you mean "fast"?`) {
		t.Errorf("unknown profile: %v", diags)
	}
}

// TestBrokenFiles: every mistake is a diagnostic with a position, and
// misspellings get a suggestion.
func TestBrokenFiles(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // substrings of the rendered diagnostics
		line int      // line of the first error
	}{
		{"unknown kind", `provider "bultin" "scalar" {}`,
			[]string{"Unknown provider kind", `Did you mean "builtin"?`}, 1},
		{"unknown builtin", `provider "builtin" "unrol8" {}`,
			[]string{"Unknown builtin provider", `"unrol8"`}, 1},
		{"missing provider", "provider \"builtin\" \"scalar\" {}\nprofile \"p\" {\n  default = [builtin.scalr]\n}",
			[]string{"Unknown provider", `Did you mean "builtin.scalar"?`}, 3},
		{"cycle", "profile \"a\" {\n  extends = b\n}\nprofile \"b\" {\n  extends = a\n}",
			[]string{"Cycle in extends"}, 0},
		{"unknown op", "provider \"builtin\" \"scalar\" {}\nprofile \"p\" {\n  op \"matmull\" { use = [builtin.scalar] }\n}",
			[]string{"Unknown op", `Did you mean "matmul"?`}, 3},
		{"wrong type", "provider \"builtin\" \"scalar\" {\n  threads = \"many\"\n}",
			[]string{"Unsuitable value", "number"}, 2},
		{"unknown attribute", "provider \"builtin\" \"scalar\" {\n  thread = 2\n}",
			[]string{"Unsupported argument", `Did you mean "threads"?`}, 2},
		{"unknown profile attribute", "profile \"p\" {\n  defaults = []\n}",
			[]string{"Unsupported argument", `Did you mean "default"?`}, 2},
		{"bad on_error", "profile \"p\" {\n  on_error = \"fallbak\"\n}",
			[]string{"Invalid on_error", `Did you mean "fallback"?`}, 2},
		{"quoted reference", "provider \"builtin\" \"scalar\" {}\nprofile \"p\" {\n  default = [\"builtin.scalar\"]\n}",
			[]string{"Invalid provider reference", "without quotes"}, 3},
		{"unknown extends", "profile \"p\" {\n  extends = refrence\n}\nprofile \"reference\" {}",
			[]string{"Unknown profile", `Did you mean "reference"?`}, 2},
		{"duplicate profile", "profile \"p\" {}\nprofile \"p\" {}",
			[]string{"Duplicate profile"}, 2},
		{"syntax error", "profile \"p\" {\n  default = [\n}",
			[]string{"k.hcl:"}, 0},
		{"bench with unknown profile", "profile \"a\" {}\nbench \"x\" {\n  profiles = [a, b]\n}",
			[]string{"Unknown profile", `"b"`}, 3},
		{"bench with one profile", "profile \"a\" {}\nbench \"x\" {\n  profiles = [a]\n}",
			[]string{"Too few profiles"}, 3},
		{"unknown block", "profil \"p\" {}",
			[]string{"Unsupported block type", `Did you mean "profile"?`}, 1},
		{"wasm without path", "provider \"wasm\" \"m\" {\n}",
			[]string{"Missing required argument", `"path"`}, 1},
		{"wasm bad engine", "provider \"wasm\" \"m\" {\n  path = \"m.wasm\"\n  engine = \"compiller\"\n}",
			[]string{"Invalid engine", `Did you mean "compiler"?`}, 3},
		{"wasm bad sha256", "provider \"wasm\" \"m\" {\n  path = \"m.wasm\"\n  sha256 = \"abc\"\n}",
			[]string{"Invalid sha256", "64 hex digits"}, 3},
		{"wasm bad memory", "provider \"wasm\" \"m\" {\n  path = \"m.wasm\"\n  memory_mib = 8192\n}",
			[]string{"Invalid memory_mib", "32-bit"}, 3},
		{"wasm bad timeout", "provider \"wasm\" \"m\" {\n  path = \"m.wasm\"\n  timeout = \"10\"\n}",
			[]string{"Invalid timeout", `"500ms"`}, 3},
		{"wasm timeout_mode", "provider \"wasm\" \"m\" {\n  path = \"m.wasm\"\n  timeout_mode = \"abandon\"\n}",
			[]string{"Unsupported argument"}, 3},
		{"wasm builtin attribute", "provider \"wasm\" \"m\" {\n  path = \"m.wasm\"\n  threads = 2\n}",
			[]string{"Unsupported argument"}, 3},
		{"plugin without path", "provider \"plugin\" \"p\" {\n}",
			[]string{"Missing required argument", `"path"`}, 1},
		{"plugin bad transport", "provider \"plugin\" \"p\" {\n  path = \"p\"\n  transport = \"shmem\"\n}",
			[]string{"Invalid transport", `Did you mean "shm"?`}, 3},
		{"plugin other protocol", "provider \"plugin\" \"p\" {\n  path = \"p\"\n  protocol_version = 2\n}",
			[]string{"Unsupported protocol_version", "speaks kernel plugin protocol 1, not 2"}, 3},
		{"plugin bad call_timeout", "provider \"plugin\" \"p\" {\n  path = \"p\"\n  call_timeout = \"soon\"\n}",
			[]string{"Invalid call_timeout", `or "off"`}, 3},
		{"plugin start_timeout off", "provider \"plugin\" \"p\" {\n  path = \"p\"\n  start_timeout = \"off\"\n}",
			[]string{"Invalid start_timeout"}, 3},
		{"plugin args not a list", "provider \"plugin\" \"p\" {\n  path = \"p\"\n  args = \"-v\"\n}",
			[]string{"Unsuitable value", "list of string"}, 3},
		{"plugin bad sha256", "provider \"plugin\" \"p\" {\n  path = \"p\"\n  sha256 = \"xyz\"\n}",
			[]string{"Invalid sha256"}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, diags := Parse("k.hcl", []byte(tt.src), testBuiltins)
			if !diags.HasErrors() {
				t.Fatal("no error")
			}
			text := DiagnosticsError(f, diags).Error()
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("diagnostics do not mention %q:\n%s", w, text)
				}
			}
			var first *hcl.Diagnostic
			for _, d := range diags {
				if d.Severity == hcl.DiagError {
					first = d
					break
				}
			}
			if first.Subject == nil {
				t.Fatalf("no position in %q", text)
			}
			if tt.line != 0 && first.Subject.Start.Line != tt.line {
				t.Errorf("error at line %d, want %d:\n%s", first.Subject.Start.Line, tt.line, text)
			}
			if !strings.Contains(text, "k.hcl:") {
				t.Errorf("rendered text has no file:line: %s", text)
			}
		})
	}
}

// TestWASMProvider checks a wasm block's settings and that a relative
// path is taken from the kernels file's directory.
func TestWASMProvider(t *testing.T) {
	src := `
provider "wasm" "mine" {
  path         = "mods/mine.wasm"
  sha256       = "ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
  engine       = "interpreter"
  memory_mib   = 64
  timeout      = "250ms"
}
provider "wasm" "shipped" { path = "embedded:simd128.wasm" }
provider "wasm" "trusted" {
  path    = "t.wasm"
  timeout = "off"
}
`
	f, diags := Parse("conf/k.hcl", []byte(src), testBuiltins)
	if diags.HasErrors() {
		t.Fatal(DiagnosticsError(f, diags))
	}
	w := f.Provider("wasm.mine").WASM
	want := WASM{Path: "mods/mine.wasm", Module: "conf/mods/mine.wasm", SHA256: "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
		Engine: "interpreter", MemoryMiB: 64, Timeout: 250 * time.Millisecond}
	if *w != want {
		t.Errorf("wasm.mine = %+v\nwant %+v", *w, want)
	}
	if s := f.Provider("wasm.shipped").WASM; s.Module != "embedded:simd128.wasm" || s.Engine != "auto" {
		t.Errorf("wasm.shipped = %+v", *s)
	}
	if tr := f.Provider("wasm.trusted").WASM; tr.Timeout >= 0 {
		t.Errorf(`timeout = "off" gave %v, want a negative timeout`, tr.Timeout)
	}
}

// TestPluginProvider checks a plugin block's settings and that a relative
// path is taken from the kernels file's directory.
func TestPluginProvider(t *testing.T) {
	src := `
provider "plugin" "mine" {
  path             = "bin/mine"
  args             = ["-v", "--mode", "fast"]
  sha256           = "ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
  protocol_version = 1
  start_timeout    = "2s"
  call_timeout     = "off"
  transport        = "grpc"
  threads          = 3
}
provider "plugin" "plain" { path = "/opt/plain" }
`
	f, diags := Parse("conf/k.hcl", []byte(src), testBuiltins)
	if diags.HasErrors() {
		t.Fatal(DiagnosticsError(f, diags))
	}
	p := f.Provider("plugin.mine")
	want := Plugin{Path: "bin/mine", Binary: "conf/bin/mine", Args: []string{"-v", "--mode", "fast"},
		SHA256: "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789", ProtocolVersion: 1,
		StartTimeout: 2 * time.Second, CallTimeout: -1, Transport: "grpc"}
	if fmt.Sprint(*p.Plugin) != fmt.Sprint(want) || p.Threads != 3 {
		t.Errorf("plugin.mine = %+v (threads %d)\nwant %+v (threads 3)", *p.Plugin, p.Threads, want)
	}
	if q := f.Provider("plugin.plain").Plugin; q.Binary != "/opt/plain" || q.Transport != "auto" || q.CallTimeout != 0 {
		t.Errorf("plugin.plain = %+v", *q)
	}
}
