//go:build !cgo

package main

import "testing"

// TestCgo stands in for the tests of the C kernels, which need cgo.
func TestCgo(t *testing.T) {
	t.Skip("cplugin: cgo unavailable (CGO_ENABLED=0 or no C compiler): the C kernels are not built")
}
