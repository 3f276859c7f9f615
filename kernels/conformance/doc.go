// Package conformance checks a kernel provider against the scalar
// reference: every op of the contract on every shape of DefaultCases (tiny,
// odd and unit lengths, grouped-query attention, and the real shapes of the
// tinyllamas models), plus the calls recorded from a real forward pass
// (Recorder and Replay). It is the differential test of wazero's compiler
// against its interpreter, ggml's test-backend-ops and gonum's guard-band
// tests in one: a provider passes only if, for every call,
//
//  1. its outputs are within Thresholds of the reference's (NMSE);
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
