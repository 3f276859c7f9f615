//go:build !race

package conformance

// raceEnabled reports a -race build (see race.go).
const raceEnabled = false
