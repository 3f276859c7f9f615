//go:build wasip1

// Package sdk is the little a Go WASM kernel module needs beyond its own
// loops: an allocator for the ABI's rl_alloc and views of the buffers the
// host passes as byte offsets. It compiles only for GOOS=wasip1; see
// plugins/wasm/ABI.md for the ABI and plugins/wasm/goexample for a module
// that uses it.
//
// A module built with GOOS=wasip1 GOARCH=wasm is one linear memory holding
// the Go runtime, its heap and stacks. An offset the host passes is an
// address in that memory, so it can be turned into a Go pointer; that is
// sound here because Go's garbage collector never moves heap objects, the
// buffers the host uses all come from Alloc, which keeps them alive for
// good, and an op that does not allocate never runs the collector.
//
// The package example runs under a WASI runtime, from the repository
// root:
//
//	GOOS=wasip1 GOARCH=wasm go test -exec "$(go env GOROOT)/lib/wasm/go_wasip1_wasm_exec" ./plugins/wasm/sdk
//
// with wasmtime on PATH, or GOWASIRUNTIME=wazero and wazero's command
// (go build github.com/tetratelabs/wazero/cmd/wazero).
package sdk

import "unsafe"

// Align is the alignment of every address Alloc returns, as the ABI asks.
const Align = 16

// pinned holds every buffer Alloc handed out, so that the garbage
// collector, which cannot see the host's references to them, never frees
// one. Nothing is ever removed: the host allocates once, while loading.
var pinned [][]byte

// Alloc implements rl_alloc: it returns the offset of size fresh, zeroed
// bytes aligned to Align, kept alive for the life of the module, or 0 for
// a negative size. It allocates from the Go heap and may therefore grow
// memory, which the ABI allows only while loading. When memory is
// exhausted (the host's memory_mib cap) the Go runtime aborts with "out of
// memory", a trap, instead of returning 0.
func Alloc(size int32) int32 {
	if size < 0 {
		return 0
	}
	buf := make([]byte, int(size)+Align-1)
	pinned = append(pinned, buf)
	addr := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	return int32(uint32((addr + Align - 1) &^ (Align - 1)))
}

// ptr turns a byte offset into linear memory into a pointer. Offsets are
// unsigned: an i32 above 2 GiB arrives as a negative int32.
func ptr(off int32) unsafe.Pointer {
	return unsafe.Add(unsafe.Pointer(nil), uint32(off))
}

// F32 returns the n float32 values at byte offset off as a slice, without
// copying: writes to it write the host's buffer. n must not be negative.
func F32(off, n int32) []float32 {
	return unsafe.Slice((*float32)(ptr(off)), n)
}

// I8 returns the n int8 values at byte offset off as a slice, without
// copying: writes to it write the host's buffer. n must not be negative.
func I8(off, n int32) []int8 {
	return unsafe.Slice((*int8)(ptr(off)), n)
}
