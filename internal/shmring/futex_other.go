//go:build !linux

package shmring

import (
	"errors"
	"os"
	"runtime"
	"time"
)

var errUnsupported = errors.New("shared-memory transport needs Linux (memfd and futex)")

func futexWait(addr *uint32, val uint32, d time.Duration) { time.Sleep(d) }
func futexWake(addr *uint32)                              {}
func yield()                                              { runtime.Gosched() }

// Supported reports nil when this platform has the shared-memory transport.
func Supported() error { return errUnsupported }

// Create is not available on this platform.
func Create(name string) (*os.File, error) { return nil, errUnsupported }

// Map is not available on this platform.
func Map(f *os.File, off int64, size int, write bool) ([]byte, error) { return nil, errUnsupported }

// Unmap is not available on this platform.
func Unmap(b []byte) error { return errUnsupported }

// Inherited is always false: there is no shared-memory transport here.
func Inherited(fd int) bool { return false }
