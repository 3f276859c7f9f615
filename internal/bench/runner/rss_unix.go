//go:build linux || darwin || freebsd

package runner

import (
	"runtime"
	"syscall"
)

// PeakRSS returns the process's peak resident set size in bytes (0 when
// the OS does not say).
func PeakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss) // bytes on macOS
	}
	return int64(ru.Maxrss) * 1024 // kilobytes elsewhere
}
