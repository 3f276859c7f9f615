// Package wasmhost runs kernel providers shipped as WebAssembly modules
// (the ABI is plugins/wasm/ABI.md) on wazero, behind the same
// kernels.Provider interface as the builtin ones.
//
// The weights are written into the module's linear memory once, while
// loading; memory is sized then and must not grow afterwards, so the host
// works on views of it made at the end of loading. A per-token call is a
// copy of the activations into staging buffers, one CallWithStack with a
// preallocated stack, a check that memory kept its size, and a copy out.
//
// The module is sandboxed: no host imports (WASI with stdout and stderr
// only, for modules built by Go), a memory cap, and a per-call timeout. A
// trap, timeout, non-zero return or memory growth is an error naming the
// module, the op and its shape; the dispatch table's on_error decides
// what happens next.
package wasmhost

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/retrollama/retrollama/internal/host/boundary"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/plugins/wasm/spec"
)

// Why one way to time out: wazero can only stop compiled code that was
// compiled to check, at every loop iteration, whether it should stop
// (WithCloseOnContextDone). Unchecked code cannot be stopped, and worse,
// cannot be preempted: a module looping forever on a worker goroutine
// would stall the next garbage collection's stop-the-world, and with it
// the whole process. So every module with a timeout is compiled with the
// checks, and modules keep their loops long (RATIONALE.md, "WASM").

// ABIVersion is the version of plugins/wasm/ABI.md this host implements;
// a module's rl_abi_version must return it.
const ABIVersion = 1

// Defaults of the provider block's settings.
const (
	DefaultMemoryMiB = 1024
	DefaultTimeout   = 10 * time.Second
)

// Options configure one WASM provider.
type Options struct {
	// Name labels the provider in messages and reports ("wasm.simd128").
	Name string
	// Source says where the module came from (its path), for messages.
	Source string
	// Module is the module's binary.
	Module []byte
	// Engine is auto, compiler or interpreter (see ChooseEngine).
	Engine string
	// MemoryMiB caps the module's linear memory; 0 = DefaultMemoryMiB.
	MemoryMiB int
	// Timeout bounds every call into the module; 0 = DefaultTimeout, < 0
	// = none: the code is compiled without termination checks (faster),
	// and a module that loops forever hangs the process.
	Timeout time.Duration
	// CacheDir keeps compiled code between runs; "" = compile every time.
	CacheDir string
	// Logger receives the module's stdout and stderr (WASI modules) and
	// the host's warnings; nil discards.
	Logger hclog.Logger
}

// op exports of the ABI and their parameter counts (all i32, result i32).
var opExports = map[string]int{
	"rl_matmul_f32":  5,
	"rl_matmul_q8_0": 9,
	"rl_rmsnorm":     4,
	"rl_rope":        6,
	"rl_attention":   9,
	"rl_swiglu":      3,
	"rl_softmax":     2,
}

// Provider is a loaded module serving kernels.Provider calls. Like every
// provider it is called from one goroutine at a time: WASM functions are
// not reentrant, and the provider owns one module instance. The per-token
// ops are boundary.Core's; the Provider is its transport (ops.go).
type Provider struct {
	boundary.Core
	o            Options
	engine, why  string
	sum          string // sha256 of the module, hex
	rt           wazero.Runtime
	cache        wazero.CompilationCache
	mod          api.Module
	mem          api.Memory
	fns          map[string]api.Function
	stack        []uint64
	ctx          context.Context
	cancel       context.CancelCauseFunc
	timer        *time.Timer
	size         uint32   // memory size in bytes after the last rl_alloc
	regions      []region // what rl_alloc returned
	view         []byte
	f32          []float32
	buf          staging
	stage, none  boundary.Staging // views of buf; none holds nothing
	cs           uint32           // the RoPE call under way: its row of cosines and sines
	freq         []float32        // RoPE frequencies, for positions past the table
	weightsBytes int
	stagingBytes int
	closed       bool
}

// staging holds the offsets of the buffers activations are copied to.
type staging struct {
	in, out, q, k, gate, up, keys, values, att, xq, xs, cs, row uint32
	inLen, outLen                                               int
}

// errTimeout is the cause of a call stopped by the timeout.
var errTimeout = errors.New("timed out")

// New compiles and instantiates a module and checks its ABI. It does not
// size anything: that is Init.
func New(ctx context.Context, o Options) (*Provider, error) {
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	if o.MemoryMiB == 0 {
		o.MemoryMiB = DefaultMemoryMiB
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}

	p := &Provider{o: o, fns: map[string]api.Function{}, sum: SHA256(o.Module)}
	p.Core = boundary.NewCore(p)
	if o.MemoryMiB < 1 || o.MemoryMiB > 4096 {
		return nil, p.loadErr(fmt.Errorf("memory_mib %d out of range 1..4096 (WASM memory is 32-bit)", o.MemoryMiB))
	}
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		return nil, p.loadErr(errors.New("WASM memory is little-endian and the host writes it in place: big-endian hosts are not supported"))
	}
	var err error
	if p.engine, p.why, err = ChooseEngine(o.Engine); err != nil {
		return nil, p.loadErr(err)
	}
	if err := p.load(ctx); err != nil {
		p.Close()
		return nil, p.loadErr(err)
	}
	return p, nil
}

func (p *Provider) loadErr(err error) error {
	return fmt.Errorf("wasm provider %s (%s): %w", p.o.Name, p.o.Source, err)
}

func (p *Provider) load(ctx context.Context) error {
	var cfg wazero.RuntimeConfig
	if p.engine == spec.EngineCompiler {
		cfg = wazero.NewRuntimeConfigCompiler()
		if p.o.CacheDir != "" {
			cache, err := wazero.NewCompilationCacheWithDir(p.o.CacheDir)
			if err != nil {
				p.o.Logger.Warn("no compilation cache", "dir", p.o.CacheDir, "error", err)
			} else {
				p.cache = cache
				cfg = cfg.WithCompilationCache(cache)
			}
		}
	} else {
		cfg = wazero.NewRuntimeConfigInterpreter()
	}
	cfg = cfg.WithCoreFeatures(api.CoreFeaturesV2).WithMemoryLimitPages(uint32(p.o.MemoryMiB) * 16)
	if p.o.Timeout > 0 {
		cfg = cfg.WithCloseOnContextDone(true)
	}
	p.rt = wazero.NewRuntimeWithConfig(ctx, cfg)
	p.ctx, p.cancel = context.WithCancelCause(context.Background())
	p.timer = time.AfterFunc(time.Hour, func() { p.cancel(errTimeout) })
	p.timer.Stop()

	if err := precheck(p.o.Module); err != nil {
		return fmt.Errorf("compile: %w", err)
	}
	cm, err := compile(ctx, p.rt, p.o.Module)
	if err != nil {
		return fmt.Errorf("compile: %w", err)
	}
	wasi := false
	for _, f := range cm.ImportedFunctions() {
		mod, name, _ := f.Import()
		if mod != wasi_snapshot_preview1.ModuleName {
			return fmt.Errorf("imports %s.%s: the host provides no imports (only WASI, with stdout and stderr)", mod, name)
		}
		wasi = true
	}
	for _, m := range cm.ImportedMemories() {
		mod, name, _ := m.Import()
		return fmt.Errorf("imports memory %s.%s: a module must define and export its own memory", mod, name)
	}
	if _, ok := cm.ExportedMemories()["memory"]; !ok {
		return errors.New(`missing export "memory"`)
	}
	exports := cm.ExportedFunctions()
	check := func(name string, params, results int, required bool) error {
		def, ok := exports[name]
		if !ok {
			if required {
				return fmt.Errorf("missing export %q (ABI v%d requires it)", name, ABIVersion)
			}
			return nil
		}
		if !allI32(def.ParamTypes(), params) || !allI32(def.ResultTypes(), results) {
			return fmt.Errorf("export %s has type %s, ABI v%d wants %d i32 parameters and %d i32 result", name, signature(def), ABIVersion, params, results)
		}
		return nil
	}
	if err := check("rl_abi_version", 0, 1, true); err != nil {
		return err
	}
	if err := check("rl_alloc", 1, 1, true); err != nil {
		return err
	}
	if err := check("rl_init", 6, 1, false); err != nil {
		return err
	}
	for name, n := range opExports {
		if err := check(name, n, 1, false); err != nil {
			return err
		}
	}

	if wasi {
		if _, err := wasi_snapshot_preview1.Instantiate(ctx, p.rt); err != nil {
			return fmt.Errorf("wasi: %w", err)
		}
	}
	out := p.o.Logger.Named("stdout").StandardWriter(&hclog.StandardLoggerOptions{ForceLevel: hclog.Info})
	errOut := p.o.Logger.Named("stderr").StandardWriter(&hclog.StandardLoggerOptions{ForceLevel: hclog.Warn})
	mc := wazero.NewModuleConfig().WithName("").WithStdout(out).WithStderr(errOut).WithStartFunctions()
	if _, ok := exports["_initialize"]; ok {
		mc = mc.WithStartFunctions("_initialize")
	}
	// The calls of loading get the timeout too: a module's _initialize or
	// rl_alloc may loop forever as well as any op.
	err = p.guard(func(ctx context.Context) error {
		var err error
		p.mod, err = p.rt.InstantiateModule(ctx, cm, mc)
		return err
	})
	if err != nil {
		return fmt.Errorf("instantiate: %w", err)
	}
	p.mem = p.mod.ExportedMemory("memory")
	for name := range exports {
		if name == "rl_abi_version" || name == "rl_alloc" || name == "rl_init" || opExports[name] > 0 {
			p.fns[name] = p.mod.ExportedFunction(name)
		}
	}
	p.stack = make([]uint64, 9)
	if err := p.call("rl_abi_version"); err != nil {
		return err
	}
	if v := int32(p.stack[0]); v != ABIVersion {
		return fmt.Errorf("rl_abi_version returned %d; this host implements ABI version %d", v, ABIVersion)
	}
	return nil
}

// compile is rt.CompileModule that returns wazero's own panics as errors:
// fuzzing found malformed modules that make its validator index out of
// range (testdata/fuzz/FuzzModule), and a bad file must be an error, not
// a crash.
func compile(ctx context.Context, rt wazero.Runtime, b []byte) (cm wazero.CompiledModule, err error) {
	defer func() {
		if r := recover(); r != nil {
			cm, err = nil, fmt.Errorf("malformed module (wazero panicked validating it: %v)", r)
		}
	}()
	return rt.CompileModule(ctx, b)
}

// allI32 reports whether types is n i32s.
func allI32(types []api.ValueType, n int) bool {
	if len(types) != n {
		return false
	}
	for _, t := range types {
		if t != api.ValueTypeI32 {
			return false
		}
	}
	return true
}

func signature(def api.FunctionDefinition) string {
	names := func(ts []api.ValueType) string {
		var s []string
		for _, t := range ts {
			s = append(s, api.ValueTypeName(t))
		}
		return "(" + strings.Join(s, ",") + ")"
	}
	return names(def.ParamTypes()) + "->" + names(def.ResultTypes())
}

// call calls export name with params; the result is p.stack[0]. It
// applies the timeout.
func (p *Provider) call(name string, params ...uint64) error {
	fn := p.fns[name]
	if fn == nil {
		return fmt.Errorf("module exports no %s", name)
	}
	if p.closed {
		return errors.New("provider is closed")
	}
	if dead := p.Dead(); dead != nil {
		return dead
	}
	copy(p.stack, params)
	err := p.exec(fn)
	if err != nil {
		// After a trap the module's own state (a Go runtime's, say) is
		// undefined: the instance is not called again.
		p.Retire(fmt.Errorf("the module instance is unusable after an earlier failure (%s: %v)", name, err))
	}
	return err
}

// exec makes one call of fn with p.stack, under the timeout.
func (p *Provider) exec(fn api.Function) error {
	return p.guard(func(ctx context.Context) error { return fn.CallWithStack(ctx, p.stack) })
}

// guard runs a call into the module (an export, or instantiation, which
// runs the module's start functions) under the timeout: the timer cancels
// p.ctx, and wazero stops the module at its next loop iteration.
func (p *Provider) guard(step func(ctx context.Context) error) error {
	if p.o.Timeout < 0 {
		return step(p.ctx)
	}
	p.timer.Reset(p.o.Timeout)
	err := step(p.ctx)
	p.timer.Stop()
	if err != nil && context.Cause(p.ctx) == errTimeout {
		return fmt.Errorf("timed out after %v (the module is stopped): %w", p.o.Timeout, err)
	}
	return err
}

// Describe summarises the provider for "kernels explain" and logs.
func (p *Provider) Describe() string {
	return fmt.Sprintf("%s: module %s (sha256 %s…), engine %s (%s), memory %d/%d MiB (weights %d MiB), timeout %s",
		p.o.Name, p.o.Source, p.sum[:12], p.engine, p.why, p.mem.Size()>>20, p.o.MemoryMiB, p.weightsBytes>>20, timeoutText(p.o.Timeout))
}

// timeoutText renders a timeout for reports.
func timeoutText(d time.Duration) string {
	if d < 0 {
		return "off (no termination checks: a looping module hangs the process)"
	}
	return d.String()
}

// SHA256 returns the hex SHA-256 of b, as kernels.hcl's sha256 pins it.
func SHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Name implements kernels.Provider.
func (p *Provider) Name() string { return p.o.Name }

// Supports implements kernels.Provider: the module provides the ops it
// exports, for any shape that fits the ABI's 32-bit offsets.
func (p *Provider) Supports(q kernels.Query) kernels.Support {
	name := exportFor(q)
	if name == "" {
		return kernels.Support{Reason: fmt.Sprintf("%s %v not in the ABI", q.Op, q.DType)}
	}
	if p.fns[name] == nil {
		return kernels.Support{Reason: "module exports no " + name}
	}
	if q.Op == kernels.RoPE && q.Model.Heads > 0 && q.Model.HeadSize()%2 != 0 {
		return kernels.Support{Reason: fmt.Sprintf("rope: odd head size %d (the ABI's cos/sin table is per pair of a head)", q.Model.HeadSize())}
	}
	return kernels.Support{OK: true}
}

// exportFor names the export that runs a use of an op.
func exportFor(q kernels.Query) string {
	switch q.Op {
	case kernels.MatMul:
		switch q.DType {
		case kernels.F32:
			return "rl_matmul_f32"
		case kernels.Q8_0:
			return "rl_matmul_q8_0"
		}
	case kernels.RMSNorm:
		if q.DType == kernels.F32 {
			return "rl_rmsnorm"
		}
	case kernels.RoPE:
		return "rl_rope"
	case kernels.Attention:
		return "rl_attention"
	case kernels.SwiGLU:
		return "rl_swiglu"
	case kernels.Softmax:
		return "rl_softmax"
	}
	return ""
}

// Close implements kernels.Provider.
func (p *Provider) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	var err error
	if p.rt != nil {
		err = p.rt.Close(context.Background())
	}
	if p.cache != nil {
		err = errors.Join(err, p.cache.Close(context.Background()))
	}
	if p.timer != nil {
		p.timer.Stop()
	}
	if p.cancel != nil {
		p.cancel(context.Canceled)
	}
	p.view, p.f32 = nil, nil
	return err
}

var _ kernels.Provider = (*Provider)(nil)
var _ kernels.BoundaryTimer = (*Provider)(nil)
var _ boundary.Transport = (*Provider)(nil)
