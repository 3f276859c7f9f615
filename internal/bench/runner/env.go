package runner

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"golang.org/x/sys/cpu"

	"github.com/retrollama/retrollama/internal/bench"
	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/internal/host/kernelsfile"
)

// Environment describes this machine, build, kernels file and model, so a
// saved report says what it measured.
func Environment(f *kernelsfile.File, ck *checkpoint.Checkpoint) bench.Environment {
	e := HostEnvironment(f)
	e.Model, e.ModelHash = ck.Path, modelHash(ck)
	return e
}

// HostEnvironment is Environment without a model: this machine, build and
// kernels file (nil for none: no kernels hash, no providers), for
// measurements that run no checkpoint, such as "bench ops --sweep" (whose
// results name their model shapes themselves). Model and ModelHash are
// left empty.
func HostEnvironment(f *kernelsfile.File) bench.Environment {
	e := bench.Environment{
		GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, GoVersion: runtime.Version(),
		CPU: cpuModel(), CPUFeatures: cpuFeatures(), NumCPU: runtime.NumCPU(),
		Providers: map[string]string{},
	}
	e.Hostname, _ = os.Hostname()
	version := "devel"
	if bi, ok := debug.ReadBuildInfo(); ok {
		version = bi.Main.Version
		for _, s := range bi.Settings {
			switch s.Key {
			case "GO386":
				e.GO386 = s.Value
			case "vcs.revision":
				version += " " + s.Value
			}
		}
	}
	if f == nil {
		return e
	}
	e.KernelsHash = sum(f.Source())
	for _, p := range f.Providers {
		e.Providers[p.Ref()] = p.Kind + ":" + p.Implementation + " (retrollama " + version + ")"
	}
	return e
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// modelHash hashes the checkpoint file, or the synthetic model's name (its
// weights follow from it).
func modelHash(ck *checkpoint.Checkpoint) string {
	if strings.HasPrefix(ck.Path, "synthetic:") {
		return sum([]byte(ck.Path))
	}
	f, err := os.Open(ck.Path)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}

// cpuModel reads the CPU's name from /proc/cpuinfo where there is one.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// cpuFeatures lists the instruction-set features kernels care about.
func cpuFeatures() []string {
	var out []string
	add := func(name string, has bool) {
		if has {
			out = append(out, name)
		}
	}
	switch runtime.GOARCH {
	case "amd64", "386":
		x := cpu.X86
		add("sse2", x.HasSSE2)
		add("sse3", x.HasSSE3)
		add("ssse3", x.HasSSSE3)
		add("sse4.1", x.HasSSE41)
		add("sse4.2", x.HasSSE42)
		add("avx", x.HasAVX)
		add("avx2", x.HasAVX2)
		add("fma", x.HasFMA)
		add("avx512f", x.HasAVX512F)
		add("avx512vnni", x.HasAVX512VNNI)
	case "arm64":
		a := cpu.ARM64
		add("asimd", a.HasASIMD)
		add("asimddp", a.HasASIMDDP)
		add("sve", a.HasSVE)
	}
	return out
}
