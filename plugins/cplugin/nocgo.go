//go:build !cgo

// Without cgo there are no C kernels: this main only says so, so that
// `go build ./...` and `go vet ./...` work with CGO_ENABLED=0.

package main

import "os"

func main() { os.Exit(explainNoCgo(os.Stderr)) }
