package main

import (
	"os"
	"testing"

	"github.com/retrollama/retrollama/internal/plugintest"
)

// TestMain lets the test binary act as the retrollama command when
// RETROLLAMA_TEST_AS_CLI=1, so that bench --isolate (which re-executes
// os.Executable) can be tested.
func TestMain(m *testing.M) {
	if os.Getenv("RETROLLAMA_TEST_AS_CLI") == "1" {
		os.Exit(runTopLevel(os.Args[1:]))
	}
	code := m.Run()
	plugintest.Cleanup()
	for _, f := range afterTests {
		f()
	}
	os.Exit(code)
}

// afterTests run once all tests are done (e.g. removing a binary several
// tests shared).
var afterTests []func()
