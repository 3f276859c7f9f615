//go:build race

// Package raceflag reports whether the program was built with -race, so
// that tests can drop cases the race detector slows tenfold while they
// find no race the smaller cases miss.
package raceflag

// Enabled reports a -race build.
const Enabled = true
