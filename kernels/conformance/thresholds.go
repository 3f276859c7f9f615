package conformance

import "github.com/retrollama/retrollama/kernels"

// defaultNMSE is ggml test-backend-ops' bound for fp32 (max_nmse_err). It
// sits far from both sides: reordered or float64 accumulation, fused
// multiply-adds and other correctly rounded libm functions stay below
// ~1e-10 on every default case (see the float64 provider in the tests),
// while real bugs land far above it: one wrong element of n costs ~1/n
// (3e-5 for a 32000-row classifier), and a systematic 0.1% scale error
// costs 1e-6. An approximate exp or sin needs ~3e-4 relative accuracy.
const defaultNMSE = 1e-7

// Thresholds returns the NMSE bound of each op, which NMSE mode applies
// (exact mode, the default, demands the reference's bits instead). Every
// op uses ggml's fp32 bound 1e-7 (see defaultNMSE for why it is neither
// too tight nor too loose); a fresh map each call, so callers may change
// their copy.
//
// Q8_0 matmuls use the same 1e-7: they are compared with the scalar
// reference's Q8_0 result, not with fp32, and their integer sums are
// exact, so a correct provider differs only by how it adds the per-group
// float32 terms (the float64 provider of the tests: 2e-14) or not at all
// (internal/kernels/unrolled is bit-identical). Quantization's own error, 1e-5 to
// 3e-5 against fp32 on the suite's inputs, is documented by
// TestQ8QuantizationError, not checked here; a provider that quantized x
// differently (another rounding) flips int8 values, each flip costing
// ~1e-6 on stories15M, and fails.
func Thresholds() map[kernels.Op]float64 {
	t := map[kernels.Op]float64{}
	for _, op := range kernels.AllOps() {
		t[op] = defaultNMSE
	}
	return t
}
