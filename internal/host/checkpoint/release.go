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
	return c.releaser(unsafe.Pointer(unsafe.SliceData(s)), len(s), 4)
}

// ReleaserQ8 is Releaser for a Q8_0 matrix of groupSize values per
// scale: called with (lo, hi), it drops the pages that hold only values
// [lo, hi) of q and their scales [lo/groupSize, hi/groupSize) of s, as
// kernels.Tensor.Release describes.
func (c *Checkpoint) ReleaserQ8(q []int8, s []float32, groupSize int) func(lo, hi int) {
	rq := c.releaser(unsafe.Pointer(unsafe.SliceData(q)), len(q), 1)
	rs := c.releaser(unsafe.Pointer(unsafe.SliceData(s)), len(s), 4)
	if rq == nil || rs == nil || groupSize <= 0 {
		return nil
	}
	return func(lo, hi int) {
		rq(lo, hi)
		rs(lo/groupSize, hi/groupSize)
	}
}

// releaser is Releaser for n elements of size bytes at p.
func (c *Checkpoint) releaser(p unsafe.Pointer, n, size int) func(lo, hi int) {
	if c == nil || len(c.mapped) == 0 || n == 0 || p == nil || !canDropPages {
		return nil
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(c.mapped)))
	start := uintptr(p)
	if start < base || start+uintptr(n*size) > base+uintptr(len(c.mapped)) {
		return nil
	}
	off := int(start - base) // the first element's byte in the mapping
	page := os.Getpagesize()
	return func(lo, hi int) {
		lo, hi = max(lo, 0), min(hi, n)
		if lo >= hi || c.mapped == nil {
			return
		}
		// Only whole pages inside the range: a page shared with values
		// outside it may still be needed resident (and dropping it would
		// cost a fault, never a wrong value, but there is no reason to).
		from := (off + size*lo + page - 1) / page * page
		to := (off + size*hi) / page * page
		if from < to {
			dropPages(c.mapped[from:to])
		}
	}
}
