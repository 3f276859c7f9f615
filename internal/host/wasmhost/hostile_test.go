package wasmhost_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/retrollama/retrollama/internal/host/wasmhost"
	"github.com/retrollama/retrollama/kernels"
	wasmspec "github.com/retrollama/retrollama/plugins/wasm/spec"
)

// tiny is a model shape small enough for the hostile modules' one page.
var tiny = kernels.Shape{Dim: 8, HiddenDim: 16, Heads: 2, KVHeads: 1, SeqLen: 4, VocabSize: 10}

// engines are the engines this machine can run, for table-driven tests.
func engines(t testing.TB) []string {
	e := []string{wasmspec.EngineInterpreter}
	if used, _, _ := wasmhost.ChooseEngine(wasmspec.EngineAuto); used == wasmspec.EngineCompiler {
		e = append(e, wasmspec.EngineCompiler)
	} else {
		t.Logf("no wazero compiler here; testing the interpreter only")
	}
	return e
}

func open(t testing.TB, name, engine string, timeout time.Duration) (*wasmhost.Provider, error) {
	t.Helper()
	path := filepath.Join("testdata", name)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return wasmhost.New(context.Background(), wasmhost.Options{
		Name: "wasm." + strings.TrimSuffix(name, ".wasm"), Source: path, Module: b,
		Engine: engine, MemoryMiB: 16, Timeout: timeout,
	})
}

// TestHostileModules loads each misbehaving module of testdata (see
// gen.sh) and checks that the failure is a clear error, at the phase it
// belongs to, naming the module, and that the process goes on.
func TestHostileModules(t *testing.T) {
	cases := []struct {
		module string
		phase  string // where it fails: load, init or call
		want   []string
	}{
		{"loop.wasm", "call", []string{"wasm.loop (testdata/loop.wasm)", "matmul w 4×8 f32", "timed out after 200ms (the module is stopped)"}},
		{"spin.wasm", "call", []string{"wasm.spin (testdata/spin.wasm)", "matmul w 4×8 f32", "timed out after 200ms"}},
		{"initloop.wasm", "init", []string{"wasm.initloop", "rl_init", "timed out"}},
		{"oob.wasm", "call", []string{"wasm.oob", "matmul w 4×8", "out of bounds memory access"}},
		{"grow.wasm", "call", []string{"wasm.grow", "matmul", "grew memory"}},
		{"status.wasm", "call", []string{"wasm.status", "rl_matmul_f32 returned error code 7"}},
		{"abi2.wasm", "load", []string{"wasm.abi2 (testdata/abi2.wasm)", "rl_abi_version returned 2", "ABI version 1"}},
		{"noalloc.wasm", "load", []string{"wasm.noalloc", `missing export "rl_alloc"`}},
		{"badsig.wasm", "load", []string{"wasm.badsig", "export rl_matmul_f32 has type (i32,i32)->(i32)"}},
		{"imports.wasm", "load", []string{"wasm.imports", "imports env.abort", "no imports"}},
		{"overlap.wasm", "init", []string{"wasm.overlap", "overlapping an earlier allocation"}},
	}
	for _, engine := range engines(t) {
		for _, c := range cases {
			t.Run(engine+"/"+c.module, func(t *testing.T) {
				err := runHostile(t, c.module, engine)
				if err == nil {
					t.Fatalf("no error; want one at %s", c.phase)
				}
				phase, msg, _ := strings.Cut(err.Error(), ": ")
				t.Logf("%s", err)
				if phase != c.phase {
					t.Errorf("failed at %s, want %s: %v", phase, c.phase, msg)
				}
				for _, w := range c.want {
					if !strings.Contains(msg, w) {
						t.Errorf("error %q\ndoes not say %q", msg, w)
					}
				}
			})
		}
	}
}

// runHostile drives a module through the lifecycle and returns the first
// error, prefixed with the phase it came from.
func runHostile(t *testing.T, module, engine string) error {
	p, err := open(t, module, engine, 200*time.Millisecond)
	if err != nil {
		return prefix("load", err)
	}
	defer p.Close()
	if err := p.Init(tiny); err != nil {
		return prefix("init", err)
	}
	w := make([]float32, 4*8)
	h, err := p.Prepare(kernels.Tensor{Name: "w", DType: kernels.F32, Rows: 4, Cols: 8, F32: w})
	if err != nil {
		return prefix("prepare", err)
	}
	out, x := make([]float32, 4), make([]float32, 8)
	start := time.Now()
	err = p.MatMul(out, h, x)
	if err == nil {
		return nil
	}
	// A module that failed keeps failing, promptly: the engine's fallback
	// relies on errors, not hangs.
	if err2 := p.MatMul(out, h, x); err2 == nil && strings.Contains(err.Error(), "timed out") {
		t.Errorf("a call after the timeout succeeded")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("two failing calls took %v", d)
	}
	return prefix("call", err)
}

func prefix(phase string, err error) error {
	return &phaseErr{phase, err}
}

type phaseErr struct {
	phase string
	err   error
}

func (e *phaseErr) Error() string { return e.phase + ": " + e.err.Error() }

// TestEngineChoice checks that asking for an engine this machine lacks is
// an error, and auto says why it chose.
func TestEngineChoice(t *testing.T) {
	used, why, err := wasmhost.ChooseEngine(wasmspec.EngineAuto)
	if err != nil || used == "" || !strings.HasPrefix(why, "auto: ") {
		t.Fatalf("auto: %q %q %v", used, why, err)
	}
	if _, _, err := wasmhost.ChooseEngine("jit"); err == nil || !strings.Contains(err.Error(), `unknown engine "jit"`) {
		t.Errorf("engine jit: %v", err)
	}
	if used == wasmspec.EngineInterpreter {
		if _, _, err := wasmhost.ChooseEngine(wasmspec.EngineCompiler); err == nil {
			t.Errorf("compiler chosen where auto found none")
		}
	}
}

// TestNotAModule checks that bytes that are no WASM module are a clear
// error, not a panic.
func TestNotAModule(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("\x00asm"), []byte("#!/bin/sh\necho hi\n")} {
		_, err := wasmhost.New(context.Background(), wasmhost.Options{Name: "wasm.junk", Source: "junk.wasm", Module: b, Engine: wasmspec.EngineInterpreter})
		if err == nil || !strings.Contains(err.Error(), "wasm.junk (junk.wasm): compile") {
			t.Errorf("%q: %v", b, err)
		}
	}
}

// TestCompilationCache: with a cache directory, compiled code is written
// there, so the next run loads instead of compiling.
func TestCompilationCache(t *testing.T) {
	if used, _, _ := wasmhost.ChooseEngine(wasmspec.EngineAuto); used != wasmspec.EngineCompiler {
		t.Skip("no wazero compiler here: the interpreter has nothing to cache")
	}
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join("testdata", "status.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := wasmhost.New(context.Background(), wasmhost.Options{Name: "wasm.status", Source: "status.wasm", Module: b, CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	var files int
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files++
		}
		return nil
	})
	if files == 0 {
		t.Errorf("nothing cached in %s", dir)
	}
}
