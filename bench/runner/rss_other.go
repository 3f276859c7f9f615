//go:build !(linux || darwin || freebsd)

package runner

import "os"

// PeakRSS returns 0: this OS has no getrusage.
func PeakRSS() int64 { return 0 }

// childPeakRSS returns 0: this OS has no getrusage.
func childPeakRSS(*os.ProcessState) int64 { return 0 }
