package avx512

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/retrollama/retrollama/internal/kernels/avx2"
	"github.com/retrollama/retrollama/internal/kernels/kerneltest"
	"github.com/retrollama/retrollama/kernels"
)

// benchShape is one matmul of a model: rows × cols, and the Q8_0 group
// size retrollama quantize picks for that model (64 unless it does not
// divide the widths: stories15M's 288 takes 32).
type benchShape struct {
	model      string
	rows, cols int
	gs         int
}

// benchShapes are the matmuls of stories15M, stories110M and
// TinyLlama-1.1B (wq/wk/wv/wo, w1/w3, w2, the classifier; TinyLlama's
// grouped wk/wv are 256×2048).
var benchShapes = []benchShape{
	{"stories15M", 288, 288, 32}, {"stories15M", 768, 288, 32}, {"stories15M", 288, 768, 32}, {"stories15M", 32000, 288, 32},
	{"stories110M", 768, 768, 64}, {"stories110M", 2048, 768, 64}, {"stories110M", 768, 2048, 64}, {"stories110M", 32000, 768, 64},
	{"tinyllama", 2048, 2048, 64}, {"tinyllama", 256, 2048, 64}, {"tinyllama", 5632, 2048, 64}, {"tinyllama", 2048, 5632, 64}, {"tinyllama", 32000, 2048, 64},
}

// benchData holds each shape's random weights (fp32 and Q8_0) and x,
// made once per process so that -count runs reuse them.
type benchData struct {
	f32, q8 kernels.Tensor
	x       []float32
}

var (
	benchMu    sync.Mutex
	benchCache = map[benchShape]*benchData{}
)

func dataFor(s benchShape) *benchData {
	benchMu.Lock()
	defer benchMu.Unlock()
	if d, ok := benchCache[s]; ok {
		return d
	}
	r := rand.New(rand.NewPCG(uint64(s.rows), uint64(s.cols)))
	w := kerneltest.Random(r, s.rows*s.cols)
	d := &benchData{f32: kerneltest.F32(s.rows, s.cols, w), q8: kerneltest.Q8Tensor(w, s.rows, s.cols, s.gs), x: kerneltest.Random(r, s.cols)}
	benchCache[s] = d
	return d
}

// shapeFor is the model shape a provider is initialised with for s: wide
// enough for its x.
func shapeFor(s benchShape) kernels.Shape {
	sh := kerneltest.Stories15M()
	sh.Dim, sh.HiddenDim = s.cols, s.cols
	return sh
}

// benchPaired runs, per shape, avx512 and avx2 on the given thread count
// one after the other in the same process, so that -count N interleaves
// them and their ratio is read from the same minutes of a noisy machine.
func benchPaired(b *testing.B, q8 bool, threads int) {
	skipWithout(b)
	if q8 {
		skipWithoutQ8(b)
	}
	if avx2.Usable() != nil {
		b.Skip("avx2: ", avx2.Usable())
	}
	for _, s := range benchShapes {
		b.Run(s.model, func(b *testing.B) { // so that -bench filters before the data is made
			d := dataFor(s)
			t := d.f32
			if q8 {
				t = d.q8
			}
			kerneltest.BenchMatMul(b, fmt.Sprintf("avx512-%dt", threads), func() kernels.Provider { return New(threads) }, shapeFor(s), t, d.x)
			kerneltest.BenchMatMul(b, fmt.Sprintf("avx2-%dt", threads), func() kernels.Provider { return avx2.New(threads) }, shapeFor(s), t, d.x)
		})
	}
}

// BenchmarkMatMul: the fp32 matmul at the three models' shapes, avx512
// against avx2 (both exact), one thread.
func BenchmarkMatMul(b *testing.B) { benchPaired(b, false, 1) }

// BenchmarkMatMulQ8: the Q8_0 matmul (x's quantization included) at the
// three models' shapes and group sizes, avx512 against avx2, one thread.
func BenchmarkMatMulQ8(b *testing.B) { benchPaired(b, true, 1) }

// BenchmarkMatMul2T and BenchmarkMatMulQ82T: the same on two threads.
func BenchmarkMatMul2T(b *testing.B) { benchPaired(b, false, 2) }

// BenchmarkMatMulQ82T: see BenchmarkMatMul2T.
func BenchmarkMatMulQ82T(b *testing.B) { benchPaired(b, true, 2) }
