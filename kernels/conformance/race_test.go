//go:build race

package conformance_test

// race reports a -race build, where the suite's own tests drop the Large
// cases as conformance.Test does.
const race = true
