//go:build !race

package conformance_test

// race reports a -race build (see race_test.go).
const race = false
