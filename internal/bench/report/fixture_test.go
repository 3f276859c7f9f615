package report

import (
	"math"
	"slices"
	"time"

	"github.com/retrollama/retrollama/internal/bench"
	"github.com/retrollama/retrollama/internal/bench/analysis"
	"github.com/retrollama/retrollama/internal/bench/compare"
)

// samples returns 10 samples around centre with a fixed, irregular
// run-to-run variation scaled by spread, so samples look measured but
// tests stay deterministic.
func samples(centre, spread float64) []float64 {
	wiggle := [...]float64{0.012, -0.008, 0.021, -0.015, 0.004, -0.002, 0.009, -0.027, 0.015, -0.006}
	out := make([]float64, len(wiggle))
	for i, w := range wiggle {
		out[i] = math.Round(centre*(1+w*spread)*1e4) / 1e4 // as measured: finite precision
	}
	return out
}

// summarize is the distribution-free summary the statistics package
// fills in: the median and, for n = 10, order statistics 2 and 9 as the
// 95% confidence interval of the median.
func summarize(xs []float64) bench.Summary {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	return bench.Summary{N: n, Median: (s[n/2-1] + s[n/2]) / 2, Lo: s[1], Hi: s[n-2]}
}

// profile builds a profile with consistent samples and summaries.
func profile(name, label string, pp, tg, ttft float64, rss int64, overhead float64, ops []bench.OpTime) bench.Profile {
	p := bench.Profile{
		Name:                    name,
		Label:                   label,
		PromptTokPerSec:         samples(pp, 1),
		GenTokPerSec:            samples(tg, 1),
		TTFTSeconds:             samples(ttft, 2),
		Ops:                     ops,
		InstrumentationOverhead: overhead,
	}
	for i := range p.GenTokPerSec {
		p.PeakRSSBytes = append(p.PeakRSSBytes, rss+int64(i%3)*4096)
	}
	p.Gen = summarize(p.GenTokPerSec)
	p.Prompt = summarize(p.PromptTokPerSec)
	return p
}

// fixtureReport is a realistic three-profile report: a pure-Go
// reference, a faster SIMD profile that agrees with it, and a WASM
// profile that pays boundary costs and diverges numerically.
func fixtureReport() *bench.Report {
	goOps := func(scale float64) []bench.OpTime {
		return []bench.OpTime{
			{Op: "matmul", Provider: "go", Calls: 43, ComputeSeconds: 1.62e-3 * scale},
			{Op: "attention", Provider: "go", Calls: 6, ComputeSeconds: 2.1e-4 * scale},
			{Op: "rmsnorm", Provider: "go", Calls: 13, ComputeSeconds: 2.6e-5 * scale},
			{Op: "rope", Provider: "go", Calls: 6, ComputeSeconds: 1.9e-5 * scale},
			{Op: "softmax", Provider: "go", Calls: 7, ComputeSeconds: 3.4e-5 * scale},
			{Op: "swiglu", Provider: "go", Calls: 6, ComputeSeconds: 2.2e-5 * scale},
		}
	}
	fastOps := goOps(1)
	fastOps[0] = bench.OpTime{Op: "matmul", Provider: "simd", Calls: 43, ComputeSeconds: 6.1e-4}
	fastOps[1] = bench.OpTime{Op: "attention", Provider: "simd", Calls: 6, ComputeSeconds: 1.2e-4}
	wasmOps := goOps(1)
	wasmOps[0] = bench.OpTime{Op: "matmul", Provider: "wasm", Calls: 43, ComputeSeconds: 1.31e-3, BoundarySeconds: 4.4e-4}
	wasmOps[2] = bench.OpTime{Op: "rmsnorm", Provider: "wasm", Calls: 13, ComputeSeconds: 2.4e-5, BoundarySeconds: 3.1e-5}

	ref := profile("reference", "A", 2410, 462.5, 0.0138, 61_341_696, 0.031, goOps(1))
	fast := profile("fast", "B", 6150, 1183.2, 0.0055, 63_438_848, 0.054, fastOps)
	wasm := profile("wasm", "C", 1720, 417.9, 0.0191, 104_857_600, 0.042, wasmOps)

	return &bench.Report{
		Schema:  bench.SchemaVersion,
		Created: time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC),
		Env: bench.Environment{
			GOOS:        "linux",
			GOARCH:      "amd64",
			GoVersion:   "go1.26.8",
			CPU:         "AMD Ryzen 7 5800X 8-Core Processor",
			CPUFeatures: []string{"sse4.2", "avx", "avx2", "fma"},
			NumCPU:      16,
			Hostname:    "bench-box",
			KernelsHash: "9f2c41d07be35a8e6c1d2f4a5b6c7d8e9f00112233445566778899aabbccddee",
			ModelHash:   "3c5e1f0a9b8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e",
			Model:       "models/stories15M.bin",
			Providers:   map[string]string{"go": "builtin", "simd": "v0.3.1", "wasm": "sha256:5d41402abc4b"},
			WazeroMode:  "compiler",
		},
		Settings: bench.Settings{
			GenTokens: 128, PromptTokens: 32, Runs: 10, Warmup: 2, Threads: 1, Isolate: true,
		},
		Profiles: []bench.Profile{ref, fast, wasm},
		Comparisons: []bench.Comparison{
			{
				Baseline: "reference", Subject: "fast", Metric: "tg_tok_per_sec",
				Speedup: 2.558, CILow: 2.49, CIHigh: 2.61, PValue: 1.8e-4,
				Samples:     [2][]float64{ref.GenTokPerSec, fast.GenTokPerSec},
				Significant: true,
				Verdict:     "B (fast) is 2.56× faster than A (reference) at generation: 95% CI [2.49×, 2.61×], p = 0.00018",
			},
			{
				Baseline: "reference", Subject: "wasm", Metric: "tg_tok_per_sec",
				Speedup: 0.9036, CILow: 0.87, CIHigh: 0.94, PValue: 4.3e-4,
				Samples:     [2][]float64{ref.GenTokPerSec, wasm.GenTokPerSec},
				Significant: true,
				Verdict:     "C (wasm) is 9.6% slower than A (reference) at generation: 95% CI [0.87×, 0.94×], p = 0.00043",
			},
			{
				Baseline: "reference", Subject: "fast", Metric: "pp_tok_per_sec",
				Speedup: 1.004, CILow: 0.98, CIHigh: 1.03, PValue: 0.62,
				Samples: [2][]float64{ref.PromptTokPerSec, ref.PromptTokPerSec},
				// No Verdict: the text falls back to the numbers.
			},
		},
		Correctness: []bench.Correctness{
			{Baseline: "reference", Subject: "fast", Steps: 64, FirstDivergence: -1, MaxAbsLogitDiff: 3.1e-6, NMSE: 2.2e-13},
			{Baseline: "reference", Subject: "wasm", Steps: 64, FirstDivergence: 17, MaxAbsLogitDiff: 0.42, NMSE: 1.3e-3},
		},
	}
}

// minimalReport is a single profile without comparisons, correctness or
// per-op data, with a process-wide peak RSS and no TTFT samples.
func minimalReport() *bench.Report {
	p := profile("only", "A", 900, 120, 0.05, 0, 0, nil)
	p.PeakRSSBytes = []int64{52_428_800} // one process-wide value
	p.TTFTSeconds = nil
	return &bench.Report{
		Schema:   bench.SchemaVersion,
		Created:  time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Env:      bench.Environment{GOOS: "linux", GOARCH: "386", GO386: "softfloat", GoVersion: "go1.26.8", NumCPU: 1, Model: "synthetic:tiny", ModelHash: "abc"},
		Settings: bench.Settings{GenTokens: 16, PromptTokens: 4, Runs: 10, UntilCI: 0.02, MaxRuns: 50},
		Profiles: []bench.Profile{p},
	}
}

// commandReport is an external command (llama2.c's run) as the baseline
// A and a kernels profile as B: the command has generation samples
// only, and the verdict is the profile against it.
func commandReport() *bench.Report {
	l2c := profile("cmd:llama2c", "A", 0, 410.2, 0, 0, 0, nil)
	l2c.PromptTokPerSec, l2c.TTFTSeconds, l2c.PeakRSSBytes, l2c.Prompt = nil, nil, nil, bench.Summary{}
	l2c.Command = []string{"/tmp/l2c/run", "/tmp/retrollama-bench-1/stories15M.bin", "-z", "tokenizer.bin", "-t", "0", "-n", "160", "-i", "Once upon a time"}
	l2c.CommandRegex = `achieved tok/s: ([0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?)`
	avx2 := profile("avx2", "B", 1300, 751.0, 0.02, 60_000_000, 0.02, []bench.OpTime{{Op: "matmul", Provider: "avx2", Calls: 43, ComputeSeconds: 1.1e-3}})
	avx2.PeakRSSBytes = []int64{60_000_000}
	return &bench.Report{
		Schema:   bench.SchemaVersion,
		Created:  time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC),
		Env:      bench.Environment{GOOS: "linux", GOARCH: "amd64", GoVersion: "go1.26.8", NumCPU: 2, Model: "synthetic:stories15M written to /tmp/retrollama-bench-1/stories15M.bin", ModelHash: "abc"},
		Settings: bench.Settings{GenTokens: 128, PromptTokens: 32, Runs: 10, Warmup: 2},
		Profiles: []bench.Profile{l2c, avx2},
		Comparisons: []bench.Comparison{{
			Baseline: "cmd:llama2c", Subject: "avx2", Metric: "tg_tok_per_sec",
			Speedup: 1.83, CILow: 1.79, CIHigh: 1.87, PValue: 0.00018,
			Samples:     [2][]float64{l2c.GenTokPerSec, avx2.GenTokPerSec},
			Significant: true,
			Verdict:     "generation: avx2 is 1.83× faster than cmd:llama2c [95% CI 1.79×…1.87×] p=0.00018 (Mann-Whitney U, n=10+10)",
		}},
	}
}

// compareReport is what "bench compare --force" makes of two saved
// reports that differ in a refused field (generated tokens) and in
// warned ones (Go version, a provider version, the host, the runs, a
// profile only in the old report): the fixture report as the new one,
// and an older, slower run of it as the old one.
func compareReport() *bench.Report {
	new := fixtureReport()
	old := fixtureReport()
	old.Created = time.Date(2026, 2, 1, 18, 0, 0, 0, time.UTC)
	old.Env.GoVersion = "go1.26.7"
	old.Env.Hostname = "old-box"
	old.Env.Providers = map[string]string{"go": "builtin", "simd": "v0.3.0", "wasm": "sha256:5d41402abc4b"}
	old.Settings.GenTokens, old.Settings.Runs = 256, 8
	old.Profiles = append(old.Profiles, profile("cplugin", "D", 3000, 900, 0.01, 70_000_000, 0.05, nil))
	for i := range old.Profiles {
		p := &old.Profiles[i]
		for j := range p.GenTokPerSec {
			p.GenTokPerSec[j] *= 0.9
		}
	}
	r, err := analysis.BetweenWith(old, new, compare.Options{Force: true})
	if err != nil {
		panic(err)
	}
	return r
}

// partialReport is a bench interrupted in its second measured round: A
// finished 2 runs, B 1 (no CI, no comparison), no correctness or per-op
// pass ran, and the analysis left a warning.
func partialReport() *bench.Report {
	a := profile("avx2", "A", 1300, 751.0, 0.02, 60_000_000, 0, nil)
	b := profile("fast", "B", 1100, 640.5, 0.025, 60_000_000, 0, nil)
	trim := func(p *bench.Profile, n int) {
		p.PromptTokPerSec, p.GenTokPerSec, p.TTFTSeconds = p.PromptTokPerSec[:n], p.GenTokPerSec[:n], p.TTFTSeconds[:n]
		p.PeakRSSBytes = []int64{60_000_000}
		// What the statistics give 1 or 2 runs: the median, and min…max.
		sum := func(x []float64) bench.Summary {
			return bench.Summary{N: n, Median: (slices.Min(x) + slices.Max(x)) / 2, Lo: slices.Min(x), Hi: slices.Max(x)}
		}
		p.Gen, p.Prompt = sum(p.GenTokPerSec), sum(p.PromptTokPerSec)
	}
	trim(&a, 2)
	trim(&b, 1)
	return &bench.Report{
		Schema:   bench.SchemaVersion,
		Created:  time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC),
		Env:      bench.Environment{GOOS: "linux", GOARCH: "amd64", GoVersion: "go1.26.8", NumCPU: 2, Model: "synthetic:stories15M", ModelHash: "abc"},
		Settings: bench.Settings{GenTokens: 128, PromptTokens: 32, Runs: 1, Warmup: 2, UntilCI: 0.01, MaxRuns: 6},
		Profiles: []bench.Profile{a, b},
		Partial:  true,
		PartialReason: "interrupted (interrupt signal received) in measured round 2 of at most 6, which only avx2 finished " +
			"(one run more than the others); the correctness check and the per-op breakdown were skipped",
		Warnings: []string{"generation: fast is not compared with avx2: fast has 1 run, and a comparison needs at least 2 runs of each"},
	}
}
