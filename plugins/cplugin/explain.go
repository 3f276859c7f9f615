package main

import (
	"fmt"
	"io"
)

// noCgoMessage is what a build without cgo prints instead of serving
// kernels: what is missing and how to build the real plugin.
const noCgoMessage = "cplugin: built without cgo: the C kernel plugin needs CGO_ENABLED=1 and a C compiler (make plugins)"

// explainNoCgo writes noCgoMessage to w and returns the exit status of a
// build without cgo, 1. It is compiled into every build, so that its test
// runs with and without cgo; only the !cgo main calls it.
func explainNoCgo(w io.Writer) int {
	fmt.Fprintln(w, noCgoMessage)
	return 1
}
