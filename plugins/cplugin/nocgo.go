//go:build !cgo

// Without cgo there are no C kernels: this main only says so, so that
// `go build ./...` and `go vet ./...` work with CGO_ENABLED=0.

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "cplugin: built without cgo: the C kernel plugin needs CGO_ENABLED=1 and a C compiler (make plugins)")
	os.Exit(1)
}
