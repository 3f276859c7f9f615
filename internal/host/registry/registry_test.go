package registry

import (
	"runtime"
	"testing"
	"time"

	"github.com/retrollama/retrollama/kernels"
)

// TestTableSharesOnePool checks that the builtin providers of one table
// split their ops over one worker pool per thread count (three spinning
// goroutines on two cores left a call's worker off the CPU; RATIONALE.md,
// "One worker pool per table"), and that closing the table stops it.
func TestTableSharesOnePool(t *testing.T) {
	const src = `
provider "builtin" "scalar" {}
provider "builtin" "unroll4" {}
provider "builtin" "unroll8" {}
provider "builtin" "swar" {}
provider "builtin" "solo" {
  implementation = "unroll8"
  threads        = 3
}
profile "mixed" {
  default = [builtin.unroll8]
  op "matmul" { use = [builtin.swar, builtin.unroll4] }
  op "rope" { use = [builtin.solo] }
}
`
	cases := []struct {
		name    string
		profile string
		threads int
		workers int // background goroutines the table starts
	}{
		// unroll8, swar and unroll4 on one pool of 4: 3 workers, not 9;
		// solo asks for 3 threads, so a second pool: 2 more.
		{"shared", "mixed", 4, 3 + 2},
		// One thread: no background worker at all (solo still has 3).
		{"one thread", "mixed", 1, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, diags := Parse("test.hcl", []byte(src))
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			shape := kernels.Shape{Dim: 8, HiddenDim: 16, Heads: 2, KVHeads: 1, SeqLen: 4, VocabSize: 6}
			before := settle(runtime.NumGoroutine(), -1)
			tab, err := Open(f, c.profile, shape, Options{Threads: c.threads})
			if err != nil {
				t.Fatal(err)
			}
			if got := runtime.NumGoroutine() - before; got != c.workers {
				t.Errorf("table started %d goroutines, want %d (one pool per thread count)", got, c.workers)
			}
			if err := tab.Close(); err != nil {
				t.Fatal(err)
			}
			if got := settle(before, before) - before; got != 0 {
				t.Errorf("%d goroutines left after Close", got)
			}
		})
	}
}

// settle waits up to a second for the goroutine count to reach want (-1:
// to stop changing) and returns it.
func settle(n, want int) int {
	for range 100 {
		time.Sleep(10 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m == want || (want < 0 && m == n) {
			return m
		}
		n = m
	}
	return n
}

// TestShippedKernelsHCL: the repository's kernels.hcl parses against the
// builtin providers compiled in and every profile resolves.
func TestShippedKernelsHCL(t *testing.T) {
	f, diags := Load("../../../kernels.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, name := range []string{"reference", "fast", "p2", "wasm", "plugin", "cplugin", "avx2"} {
		if _, diags := f.Resolve(name); diags.HasErrors() {
			t.Errorf("%s: %v", name, diags)
		}
	}
}
