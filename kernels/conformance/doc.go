// Package conformance checks a kernel provider against the scalar
// reference: every op of the contract on every shape of DefaultCases (tiny,
// odd and unit lengths, grouped-query attention, and the real shapes of the
// tinyllamas models), plus the calls recorded from a real forward pass
// (Recorder and Replay). It is the differential test of wazero's compiler
// against its interpreter, ggml's test-backend-ops and gonum's guard-band
// tests in one: a provider passes only if, for every call,
//
//  1. its outputs equal the reference's bit for bit (Exact mode, the
//     default), or, for a provider that opts out, are within Thresholds
//     of them (NMSE mode);
//  2. its outputs hold no NaN or Inf where the reference's are finite;
//  3. it writes nothing outside its buffers: every buffer it is given is a
//     window of a larger allocation whose capacity reaches into a trailing
//     guard band of NaN sentinels, checked bit for bit afterwards;
//  4. it leaves its inputs and the prepared weight tensor bit-identical;
//  5. it returns no error and does not panic (panics, and faults on
//     read-only memory, are recovered and reported, never fatal).
//
// Reads are checked too, indirectly: the guard bands and the KV-cache rows
// past pos (invalid by the contract) hold NaN, so a provider that reads
// them produces NaN, and the failure says whose NaN payload it carries.
//
// # Exact and NMSE modes
//
// Every shipped provider is exact by construction (issue 16): it never
// reassociates a sum that llama2.c computes in sequence. It parallelises
// across independent sums (matmul rows, attention positions or heads,
// elementwise values), never within one; each sum starts at +0.0f and
// adds its terms in run.c's order, each product rounded to float32 before
// the add (no fused multiply-add); expf is glibc's (kernels/mathf).
// Its outputs are therefore the scalar reference's bits, whatever the
// thread or lane count, and the engine prints llama2.c's exact bytes. So
// the suite's default, Options.Mode == Exact, demands exactly that: every
// output value has the reference's float32 bits, signed zeros included.
// The one exception is NaN: where the reference's value is NaN any NaN
// matches, since NaN payloads and signs are unspecified by IEEE 754,
// differ between x87, SSE, NEON and WASM (nondeterministic by its spec),
// and nothing downstream reads them. A NaN where the reference has a
// number fails, as in both modes. A failure names the first differing
// value, its index and both values' bits (see Mismatch).
//
// A third-party provider may reassociate: SIMD partial sums, a tree
// reduction, FMA or float64 accumulation are fine arithmetic, just not
// llama2.c's. It opts out with Options{Mode: NMSE} (TestMode(t, name, f,
// NMSE); "retrollama kernels check --nmse") and is held to ggml
// test-backend-ops' bound instead: NMSE = Σ(got-want)²/Σwant² ≤ 1e-7 per
// op (Thresholds), loose enough for any correct rounding (the tests'
// float64 provider stays below ~1e-10) and tight enough for real bugs
// (one wrong element of 32000 costs 3e-5). Such a provider's greedy texts
// usually still match; sampled texts and Q8_0 models, whose int8
// rounding of x amplifies a last-bit difference, may not.
//
// The core needs no *testing.T, so "retrollama kernels check" runs the same
// suite as the tests; Test and Check adapt it to go test. A provider's own
// test is one line:
//
//	conformance.Test(t, "mine", func() kernels.Provider { return mine.New() })
//
// Each call gets a fresh provider taken through the whole lifecycle
// (Supports, Init, Prepare, the call, Close), so state leaking between
// calls cannot hide a bug, and a provider that declines an op in Supports
// is reported as skipped, not failed (and dropped without Init or Close).
// Inputs come from a seeded splitmix64 generator, per call, so results
// reproduce exactly on every platform.
package conformance
