//go:build linux || darwin || freebsd

package runner

import (
	"os"
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
	return rssBytes(ru.Maxrss)
}

// childPeakRSS returns a finished child process's peak resident set size
// in bytes (0 when the OS does not say).
func childPeakRSS(ps *os.ProcessState) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok || ru == nil {
		return 0
	}
	return rssBytes(ru.Maxrss)
}

// rssBytes converts getrusage's ru_maxrss to bytes.
func rssBytes(maxrss int64) int64 {
	if runtime.GOOS == "darwin" {
		return maxrss // bytes on macOS
	}
	return maxrss * 1024 // kilobytes elsewhere
}
