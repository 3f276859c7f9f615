//go:build race

package main

// raceEnabled reports a -race build, which slows wazero's interpreter
// too much for the conformance suite on it (CI runs that in a plain build).
const raceEnabled = true
