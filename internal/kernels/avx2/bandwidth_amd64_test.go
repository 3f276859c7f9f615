package avx2

import (
	"sync"
	"testing"

	"github.com/retrollama/retrollama/internal/kernels/workpool"
)

// BenchmarkReadBandwidth: the read bandwidth of one thread over 256 MB
// (far beyond the caches), as 8 streams of loads (the access pattern of
// the panels, and here the fastest of 1, 8 and 16 streams), next to the
// fp32 panel matmul streaming the same 256 MB: the figure the matmuls'
// GB/s are compared with (README, "Measured side by side"). The -2t
// variants do the same on two threads, each over its half: their ratio
// to the one-thread panel matmul bounds what two threads can gain on a
// model whose weights stream from memory (RATIONALE.md, "Two threads").
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
	b.Run("read-8-streams-2t", func(b *testing.B) {
		b.SetBytes(4 * n)
		for b.Loop() {
			var wg sync.WaitGroup
			for t := range 2 {
				wg.Go(func() { readAVX2(&data[t*n/2], n/2) })
			}
			wg.Wait()
		}
	})
	pool := workpool.New(2)
	defer pool.Close()
	b.Run("panel-matmul-2t", func(b *testing.B) {
		b.SetBytes(4 * n)
		t := panelTask{out: out, x: x, m: m}
		for b.Loop() {
			pool.RunTask(rows/panelUnit, &t)
		}
	})
}
