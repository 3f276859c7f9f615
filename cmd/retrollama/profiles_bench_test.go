package main

import (
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/host/model"
	"github.com/retrollama/retrollama/internal/kernels/avx2"
)

// BenchmarkProfiles measures the forward pass (tokens/s over positions
// spread across the context) of each shipped profile on synthetic
// stories15M in fp32 and in Q8_0 (stories15M-q8, as "retrollama
// quantize" would write it), one thread per op, so that the fp32-vs-Q8
// and profile-vs-reference ratios come from one run; and of the
// reference and avx2 on stories110M likewise. "plugin" and
// "cplugin" are the example kernel plugins, built here (cplugin needs
// cgo): plugin against fast is the cost of running the same kernels out
// of process. fast and avx2 run on one thread and on two ("-2t"): the
// speedup of the second thread comes from the same run.
//
//	go test -run XXX -bench Profiles -count 5 ./cmd/retrollama
func BenchmarkProfiles(b *testing.B) {
	all := []string{"reference", "fast", "fast-2t", "avx2", "avx2-2t", "wasm", "plugin", "cplugin"}
	big := []string{"reference", "avx2", "avx2-2t"} // stories110M: the reference alone is ~10 tok/s
	for _, m := range []struct {
		name string
		runs []string
	}{{"stories15M", all}, {"stories15M-q8", all}, {"stories110M", big}, {"stories110M-q8", big}} {
		name := m.name
		for _, run := range m.runs {
			b.Run(name+"/"+run, func(b *testing.B) {
				profile, threads := run, 1
				if p, ok := strings.CutSuffix(run, "-2t"); ok {
					profile, threads = p, 2
				}
				if profile == "avx2" && avx2.Usable() != nil {
					b.Skip("avx2: ", avx2.Usable())
				}
				k := kernelFlags{profile: profile, threads: threads}
				switch profile {
				case "plugin":
					k.file, k.profile = pluginKernels(b, "goplugin", fmt.Sprintf("  path = %q", buildPlugin(b, "plugins/goplugin")), "fail"), "p"
				case "cplugin":
					if !cgoWorks() {
						b.Skip("cgo is not available: no C plugin")
					}
					k.file, k.profile = pluginKernels(b, "cplugin", fmt.Sprintf("  path = %q", buildPlugin(b, "plugins/cplugin", cpluginEnv...)), "fail"), "p"
				}
				ck, err := syntheticModel(name)
				if err != nil {
					b.Fatal(err)
				}
				defer ck.Close()
				ops, _, err := k.table(ck.Config, newLogger(io.Discard))
				if err != nil {
					b.Fatal(err)
				}
				defer ops.Close()
				m, err := model.New(ck, ops)
				if err != nil {
					b.Fatal(err)
				}
				seq := ck.Config.SeqLen
				b.ReportAllocs()
				b.ResetTimer()
				pos := 0
				for b.Loop() {
					if _, err := m.Forward(pos%300+3, pos*97%seq); err != nil { // positions spread over the context from the first call
						b.Fatal(err)
					}
					pos++
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tok/s")
			})
		}
	}
}

// cpluginEnv is how make plugins builds the C plugin.
var cpluginEnv = []string{"CGO_ENABLED=1", "CGO_CFLAGS=-O3 -march=native -ffp-contract=off"}

// cgoWorks reports whether the go command here builds cgo code.
func cgoWorks() bool {
	out, err := exec.Command("go", "env", "CGO_ENABLED").Output()
	if err != nil || strings.TrimSpace(string(out)) != "1" {
		return false
	}
	_, err = exec.LookPath("gcc")
	return err == nil
}
