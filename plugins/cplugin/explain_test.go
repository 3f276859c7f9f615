package main

import (
	"strings"
	"testing"
)

// TestExplainNoCgo: a build without cgo tells the user, on one line, that
// it needs cgo and a C compiler and how to build the plugin, and exits
// with status 1 so that a host starting it sees a failed plugin.
func TestExplainNoCgo(t *testing.T) {
	var b strings.Builder
	if code := explainNoCgo(&b); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	if got := b.String(); got != noCgoMessage+"\n" {
		t.Errorf("wrote %q, want %q and a newline", got, noCgoMessage)
	}
	for _, want := range []string{"cplugin", "cgo", "CGO_ENABLED=1", "C compiler", "make plugins"} {
		if !strings.Contains(noCgoMessage, want) {
			t.Errorf("message %q does not mention %q", noCgoMessage, want)
		}
	}
}
