package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/pflag"

	"github.com/retrollama/retrollama"
	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/internal/host/dispatch"
	"github.com/retrollama/retrollama/internal/host/kernelsfile"
	"github.com/retrollama/retrollama/internal/host/model"
	"github.com/retrollama/retrollama/internal/host/registry"
	"github.com/retrollama/retrollama/internal/host/wasmhost"
	"github.com/retrollama/retrollama/internal/suggest"
	wasmspec "github.com/retrollama/retrollama/plugins/wasm/spec"
)

// kernelFlags are the options every command takes to choose its kernels.
type kernelFlags struct {
	file    string // --kernels; empty = the built-in kernels.hcl
	profile string // --profile; empty = the best for this CPU
	threads int    // --threads; 0 = GOMAXPROCS
	engine  string // --engine: overrides every wasm provider's engine
	// fallback (--fallback, run and bench): a provider that cannot run
	// here is passed over for the profile's next one, and the commands
	// say so, instead of stopping.
	fallback bool
	stderr   io.Writer // where load warns (--threads above the cores); nil: nowhere
}

// register adds --kernels, --profile and --threads to fs.
func (k *kernelFlags) register(fs *pflag.FlagSet, stderr io.Writer) {
	k.stderr = stderr
	fs.StringVar(&k.file, "kernels", "", "kernels.hcl `file` to read (default: the built-in copy)")
	fs.StringVar(&k.profile, "profile", "", "kernel `profile` (default: the first of default_profiles usable on this CPU)")
	fs.IntVar(&k.threads, "threads", 0, "`threads` per op for providers that use them (0 = all cores)")
	fs.StringVar(&k.engine, "engine", "", "run every wasm provider on this `engine`: auto, compiler or interpreter")
}

// loadFile reads the kernels file the flags name, applying --engine.
func (k *kernelFlags) loadFile() (*kernelsfile.File, error) {
	var f *kernelsfile.File
	var d hcl.Diagnostics
	if k.file != "" {
		if err := textFile(k.file); err != nil {
			return nil, err
		}
		f, d = registry.Load(k.file)
	} else {
		f, d = registry.Parse(retrollama.DefaultKernelsName, retrollama.DefaultKernelsHCL())
	}
	if d.HasErrors() {
		return nil, kernelsfile.DiagnosticsError(f, d)
	}
	if k.threads < 0 {
		return nil, fmt.Errorf("--threads must be 0 (all cores) or more, not %d", k.threads)
	}
	if cores := runtime.NumCPU(); k.threads > cores && k.stderr != nil {
		fmt.Fprintf(k.stderr, "retrollama: warning: --threads %d is more than this machine's %d cores: threads will share cores (slower, not faster)\n", k.threads, cores)
	}
	if k.engine != "" {
		if !slices.Contains(wasmspec.Engines(), k.engine) {
			return nil, fmt.Errorf("--engine must be one of %s, not %q", strings.Join(wasmspec.Engines(), ", "), k.engine)
		}
		for _, p := range f.Providers {
			if p.WASM != nil {
				p.WASM.Engine = k.engine
			}
		}
	}
	return f, nil
}

// load reads the kernels file and picks the profile: --profile, else the
// first of default_profiles that runs here.
func (k *kernelFlags) load() (*kernelsfile.File, string, error) {
	f, err := k.loadFile()
	if err != nil {
		return nil, "", err
	}
	if k.profile != "" {
		if f.Profile(k.profile) == nil {
			return nil, "", usageErrorf("%s declares no profile %q (profiles: %s).%s", f.Path, k.profile, strings.Join(profileNames(f), ", "), suggest.DidYouMean(k.profile, profileNames(f)))
		}
		return f, k.profile, nil
	}
	profile, err := registry.DefaultProfile(f)
	if err != nil {
		return nil, "", err
	}
	return f, profile, nil
}

// profileNames lists the profiles f declares.
func profileNames(f *kernelsfile.File) []string {
	var names []string
	for _, p := range f.Profiles {
		names = append(names, p.Name)
	}
	return names
}

// textFile refuses, in one line, a --kernels file that is not text (a
// checkpoint or a binary given by mistake) before the HCL parser turns
// its bytes into a screen of diagnostics.
func textFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("--kernels: %w", err)
	}
	defer f.Close()
	head := make([]byte, 8192)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return fmt.Errorf("--kernels %s: %w", path, err)
	}
	full := n == len(head)
	head = head[:n]
	if i := bytes.IndexByte(head, 0); i >= 0 {
		return fmt.Errorf("--kernels %s: not a kernels.hcl text file (a NUL byte at offset %d: binary data)", path, i)
	}
	if full { // the sample may end inside a multi-byte character
		for cut := 0; cut < 3 && !utf8.Valid(head); cut++ {
			head = head[:len(head)-1]
		}
	}
	if !utf8.Valid(head) {
		return fmt.Errorf("--kernels %s: not a kernels.hcl text file (not UTF-8)", path)
	}
	return nil
}

// table builds the dispatch table of the chosen profile for a model.
func (k *kernelFlags) table(cfg checkpoint.Config, logger hclog.Logger) (*dispatch.Table, string, error) {
	f, profile, err := k.load()
	if err != nil {
		return nil, "", err
	}
	t, err := registry.Open(f, profile, model.Shape(cfg), registry.Options{Threads: k.threads, Logger: logger, Fallback: k.fallback})
	return t, profile, err
}

// wasmHost is what describing a WASM provider needs from this binary's
// WASM host.
func wasmHost() kernelsfile.WASMHost {
	return kernelsfile.WASMHost{ABIVersion: wasmhost.ABIVersion, DefaultTimeout: wasmhost.DefaultTimeout, ChooseEngine: wasmhost.ChooseEngine}
}

// newLogger is the host's logger: warnings and errors on stderr, more with
// RETROLLAMA_LOG=debug|info|trace.
func newLogger(stderr io.Writer) hclog.Logger {
	level := hclog.Warn
	if l := hclog.LevelFromString(os.Getenv("RETROLLAMA_LOG")); l != hclog.NoLevel {
		level = l
	}
	return hclog.New(&hclog.LoggerOptions{Name: "retrollama", Output: stderr, Level: level})
}
