//go:build !(linux || darwin || freebsd)

package runner

// PeakRSS returns 0: this OS has no getrusage.
func PeakRSS() int64 { return 0 }
