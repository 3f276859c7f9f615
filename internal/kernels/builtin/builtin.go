// Package builtin lists the kernel providers compiled into retrollama (the
// "builtin" kind of kernels.hcl). Registering a provider here is all it takes
// for the conformance suite, "kernels list" and profiles to know it.
package builtin

import (
	"github.com/retrollama/retrollama/internal/kernels/avx2"
	"github.com/retrollama/retrollama/internal/kernels/avx512"
	"github.com/retrollama/retrollama/internal/kernels/mmx"
	"github.com/retrollama/retrollama/internal/kernels/swar"
	"github.com/retrollama/retrollama/internal/kernels/unrolled"
	"github.com/retrollama/retrollama/internal/kernels/workpool"
	"github.com/retrollama/retrollama/internal/kernels/x87"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// Options are the settings a builtin provider block may carry.
type Options struct {
	// Threads is the number of goroutines a provider may use for one op;
	// 0 means runtime.GOMAXPROCS(0).
	Threads int
	// Pool, when set, is the worker pool of the table the provider joins,
	// shared by all its builtin providers and closed by its owner; the
	// provider then splits its ops over Pool (Threads is ignored) instead
	// of starting its own (see workpool.Start).
	Pool *workpool.Pool
}

// pool is the worker pool o asks for: the table's shared Pool, else one
// of Threads workers.
func (o Options) pool() workpool.Threads {
	if o.Pool != nil {
		return workpool.Sharing(o.Pool)
	}
	return workpool.Own(o.Threads)
}

// Info describes one builtin provider variant.
type Info struct {
	Name        string // the label in kernels.hcl: provider "builtin" "<Name>"
	Description string // one line for "kernels list"
	// Usable returns nil when this CPU can run the provider, else why not.
	Usable func() error
	// New constructs a fresh provider instance.
	New func(o Options) kernels.Provider
}

// All returns every builtin provider, the scalar reference first.
func All() []Info {
	return []Info{
		{
			Name:        "scalar",
			Description: "reference: plain loops in run.c's order, bit-identical to llama2.c",
			Usable:      always,
			New:         func(Options) kernels.Provider { return scalar.New() },
		},
		{
			Name:        "unroll4",
			Description: "pure Go, 4 rows' sums per pass (each in run.c's order), bit-identical to the reference; rows split over threads; any CPU",
			Usable:      always,
			New:         func(o Options) kernels.Provider { return unrolled.NewOn(4, o.pool()) },
		},
		{
			Name:        "unroll8",
			Description: "pure Go, 8 rows' sums per pass (each in run.c's order), bit-identical to the reference; rows split over threads; any CPU",
			Usable:      always,
			New:         func(o Options) kernels.Provider { return unrolled.NewOn(8, o.pool()) },
		},
		{
			Name:        "swar",
			Description: "pure Go, q8_0 matmul only: 3 int8 multiply-adds per 64-bit multiply, rows split over threads; any CPU",
			Usable:      always,
			New:         func(o Options) kernels.Provider { return swar.NewOn(o.pool()) },
		},
		{
			Name:        "mmx",
			Description: "MMX and x87 assembly for the Pentium II (linux/386), q8_0 matmul only, bit-identical to the reference; one thread",
			Usable:      mmx.Usable,
			New:         func(Options) kernels.Provider { return mmx.New() },
		},
		{
			Name:        "x87",
			Description: "x87 assembly for CPUs without SSE (GOARCH=386, GO386=softfloat): every fp32 op, bit-identical to the reference; one thread",
			Usable:      x87.Usable,
			New:         func(Options) kernels.Provider { return x87.New() },
		},
		{
			Name:        "avx2",
			Description: "AVX2 assembly (amd64): fp32 and q8_0 (group sizes multiple of 32) matmul, on panels for a mapped checkpoint's weights, rmsnorm, attention, all bit-identical to the reference; rows and heads split over threads; declines the elementwise ops",
			Usable:      avx2.Usable,
			New:         func(o Options) kernels.Provider { return avx2.NewOn(o.pool()) },
		},
		{
			Name:        "avx512",
			Description: "AVX-512 assembly (amd64): q8_0 matmul (AVX512_VNNI, group size 32 or a multiple of 64), bit-identical to the reference; rows split over threads; declines the fp32 matmul (avx2's panels are faster) and the other ops",
			Usable:      avx512.Usable,
			New:         func(o Options) kernels.Provider { return avx512.NewOn(o.pool()) },
		},
	}
}

// Lookup returns the builtin provider called name.
func Lookup(name string) (Info, bool) {
	for _, i := range All() {
		if i.Name == name {
			return i, true
		}
	}
	return Info{}, false
}

func always() error { return nil }
