package checkpoint

import (
	"os"
	"unsafe"
)

// Releaser returns a function for kernels.Tensor.Release: called with
// (lo, hi), it drops from the process's memory the pages of the file
// mapping that hold only s[lo:hi]. The values stay valid — a later read
// faults the pages back in from the page cache or the file — so a kernel
// provider that has copied a weight into its own layout can give the
// mapped original's memory back, and the process holds one copy of the
// model rather than two. It returns nil when s is not inside the
// checkpoint's mapping (a synthetic or decoded model on the Go heap,
// where memory cannot be given back piecemeal) or the platform cannot
// drop pages. After Close the function does nothing.
func (c *Checkpoint) Releaser(s []float32) func(lo, hi int) {
	if c == nil || len(c.mapped) == 0 || len(s) == 0 || !canDropPages {
		return nil
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(c.mapped)))
	start := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	if start < base || start+uintptr(len(s))*4 > base+uintptr(len(c.mapped)) {
		return nil
	}
	off := int(start - base) // s's first byte in the mapping
	n := len(s)
	page := os.Getpagesize()
	return func(lo, hi int) {
		lo, hi = max(lo, 0), min(hi, n)
		if lo >= hi || c.mapped == nil {
			return
		}
		// Only whole pages inside the range: a page shared with values
		// outside it may still be needed resident (and dropping it would
		// cost a fault, never a wrong value, but there is no reason to).
		from := (off + 4*lo + page - 1) / page * page
		to := (off + 4*hi) / page * page
		if from < to {
			dropPages(c.mapped[from:to])
		}
	}
}
