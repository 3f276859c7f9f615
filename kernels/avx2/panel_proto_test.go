//go:build amd64 && panelproto

package avx2

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/retrollama/retrollama/kernels/internal/kerneltest"
)

// The panel layout prototype, for the record (issue 16): run with
//
//	go test -tags panelproto -run PanelPrototype -bench PanelPrototype -count 6 ./kernels/avx2
//
// It is exact too (TestPanelPrototypeExact), but it needs every weight
// copied into panels at Prepare, a second copy of the model beside the
// memory-mapped file, which the shipped provider avoids.

// TestPanelPrototypeExact: the panel kernel gives the reference's bits.
func TestPanelPrototypeExact(t *testing.T) {
	skipWithout(t)
	r := rand.New(rand.NewPCG(31, 32))
	for _, sh := range [][2]int{{64, 8}, {128, 17}, {100, 288}, {288, 768}} {
		rows, cols := sh[0], sh[1]
		w, x := kerneltest.Random(r, rows*cols), kerneltest.Random(r, cols)
		want := refMatMul(t, rows, cols, w, x)
		p := panelize(w, rows, cols)
		out := make([]float32, (rows+63)/64*64)
		panelMatmulAVX2(&out[0], &p[0], &x[0], cols, (rows+63)/64)
		sameAll(t, fmt.Sprintf("%d×%d", rows, cols), out[:rows], want)
	}
}

// BenchmarkPanelPrototype: the shipped kernel on the engine's row-major
// weights (natural) against the panel prototype (panel), one thread, at
// the stories15M and stories110M shapes, in one run.
func BenchmarkPanelPrototype(b *testing.B) {
	skipWithout(b)
	r := rand.New(rand.NewPCG(33, 34))
	for _, sh := range matmulShapes {
		rows, cols := sh[0], sh[1]
		w, x := kerneltest.Random(r, rows*cols), kerneltest.Random(r, cols)
		p := panelize(w, rows, cols)
		out := make([]float32, (rows+63)/64*64)
		flops := 2 * float64(rows) * float64(cols)
		b.Run(fmt.Sprintf("%dx%d/natural", rows, cols), func(b *testing.B) {
			for b.Loop() {
				matmulRows(out, w, x, rows, cols, cols, 0, rows)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(fmt.Sprintf("%dx%d/panel", rows, cols), func(b *testing.B) {
			for b.Loop() {
				panelMatmulAVX2(&out[0], &p[0], &x[0], cols, (rows+63)/64)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
