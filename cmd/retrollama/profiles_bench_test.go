package main

import (
	"io"
	"testing"

	"github.com/retrollama/retrollama/host/model"
)

// BenchmarkProfiles measures the forward pass (tokens/s over positions
// spread across the context) of each shipped profile on synthetic
// stories15M in fp32 and in Q8_0 (stories15M-q8, as "retrollama
// quantize" would write it), one thread per op, so that the fp32-vs-Q8
// and profile-vs-reference ratios come from one run:
//
//	go test -run XXX -bench Profiles -count 5 ./cmd/retrollama
func BenchmarkProfiles(b *testing.B) {
	for _, name := range []string{"stories15M", "stories15M-q8"} {
		for _, profile := range []string{"reference", "fast", "wasm"} {
			b.Run(name+"/"+profile, func(b *testing.B) {
				ck, err := syntheticModel(name)
				if err != nil {
					b.Fatal(err)
				}
				defer ck.Close()
				k := kernelFlags{profile: profile, threads: 1}
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
					if _, err := m.Forward(pos%300+3, pos%seq); err != nil {
						b.Fatal(err)
					}
					pos++
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tok/s")
			})
		}
	}
}
