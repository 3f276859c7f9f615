package avx2

import (
	"testing"
)

// BenchmarkReadBandwidth: the read bandwidth of one thread over 256 MB
// (far beyond the caches), as 8 streams of loads (the access pattern of
// the panels, and here the fastest of 1, 8 and 16 streams), next to the
// fp32 panel matmul streaming the same 256 MB: the figure the matmuls'
// GB/s are compared with (README, "Measured side by side").
func BenchmarkReadBandwidth(b *testing.B) {
	skipWithout(b)
	const n = 64 << 20 // floats: 256 MB
	data := make([]float32, n)
	for i := range data {
		data[i] = float32(i & 7)
	}
	b.Run("read-8-streams", func(b *testing.B) {
		b.SetBytes(4 * n)
		for b.Loop() {
			readAVX2(&data[0], n)
		}
	})
	const cols = 2048
	rows := n / cols
	m := &matrix{rows: rows, cols: cols, panels: data}
	x, out := make([]float32, cols), make([]float32, rows)
	b.Run("panel-matmul", func(b *testing.B) {
		b.SetBytes(4 * n)
		for b.Loop() {
			panelUnits(out, m, x, 0, rows/panelUnit)
		}
	})
}
