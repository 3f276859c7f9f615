//go:build !386

package mmx

import (
	"fmt"
	"runtime"

	"github.com/retrollama/retrollama/kernels/scalar"
)

// asmKernels reports that the kernels are the pure-Go versions: the
// assembly exists only for GOARCH=386.
const asmKernels = false

// Usable reports why the provider is not offered on this GOARCH: its
// point is the Pentium II's MMX and x87 assembly. The pure-Go kernels
// that stand in for it here compute the same bits (they are what the
// package's tests check on the development machines) but are no faster
// than the unrolled provider.
func Usable() error {
	return fmt.Errorf("mmx: MMX assembly is only in the linux/386 build (this is %s/%s)", runtime.GOOS, runtime.GOARCH)
}

func quantize(q []int8, xs []float32, x []float32, gs int) { scalar.Quantize(q, xs, x, gs) }

func widen(x16 []int16, q []int8) { widenGo(x16, q) }

func matQ8(out []float32, w []int8, ws []float32, x16 []int16, xs []float32, ivals []int32,
	rows, n, ng, wgs, p, nlg int, split, fast, pos bool) {
	matQ8Go(out, w, ws, x16, xs, ivals, rows, n, ng, wgs, p, nlg, split, fast, pos)
}
