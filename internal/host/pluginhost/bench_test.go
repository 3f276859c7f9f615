package pluginhost_test

import (
	"testing"

	"github.com/retrollama/retrollama/internal/host/pluginhost"
	"github.com/retrollama/retrollama/internal/kernels/unrolled"
	"github.com/retrollama/retrollama/kernels"
)

// startGoPlugin starts the Go example plugin at path on transport tr,
// closed when b ends.
func startGoPlugin(b *testing.B, path, tr string) *pluginhost.Provider {
	b.Helper()
	p, err := pluginhost.New(pluginhost.Options{Name: "plugin.goplugin", Path: path, Transport: tr, Threads: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	return p
}

// initStories15M initialises p for stories15M's shape.
func initStories15M(b *testing.B, p kernels.Provider) {
	b.Helper()
	if err := p.Init(kernels.Shape{Dim: 288, HiddenDim: 768, Heads: 6, KVHeads: 6, SeqLen: 256, VocabSize: 32000, Layers: 6}); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRoundTrip is the per-op cost of crossing to the plugin and
// back: a 1-element softmax (no compute to speak of) on each transport.
func BenchmarkRoundTrip(b *testing.B) {
	path := build(b, "plugins/goplugin")
	for _, tr := range []string{pluginhost.TransportShm, pluginhost.TransportGRPC} {
		b.Run(tr, func(b *testing.B) {
			p := startGoPlugin(b, path, tr)
			initStories15M(b, p)
			x := []float32{1}
			b.ResetTimer()
			for range b.N {
				if err := p.Softmax(x); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMatMul is a stories15M-sized matmul in the plugin against the
// same kernel in process.
func BenchmarkMatMul(b *testing.B) {
	path := build(b, "plugins/goplugin")
	const d, n = 288, 288
	w := make([]float32, d*n)
	for i := range w {
		w[i] = float32(i%7) * 0.01
	}
	x, out := make([]float32, n), make([]float32, d)
	run := func(b *testing.B, p kernels.Provider) {
		initStories15M(b, p)
		h, err := p.Prepare(kernels.Tensor{Name: "w", DType: kernels.F32, Rows: d, Cols: n, F32: w})
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for range b.N {
			if err := p.MatMul(out, h, x); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if bt, ok := p.(kernels.BoundaryTimer); ok {
			b.ReportMetric(float64(bt.BoundaryTime(kernels.MatMul).Nanoseconds())/float64(b.N), "boundary-ns/op")
		}
	}
	b.Run("inprocess", func(b *testing.B) { run(b, unrolled.New(8, 1)) })
	for _, tr := range []string{pluginhost.TransportShm, pluginhost.TransportGRPC} {
		b.Run(tr, func(b *testing.B) {
			run(b, startGoPlugin(b, path, tr))
		})
	}
}
