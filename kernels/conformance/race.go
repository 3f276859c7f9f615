//go:build race

package conformance

// raceEnabled reports a -race build; Test then drops the Large cases,
// which the race detector slows tenfold while they find no race the
// smaller cases miss.
const raceEnabled = true
