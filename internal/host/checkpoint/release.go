package checkpoint

import (
	"os"
	"unsafe"

	"github.com/retrollama/retrollama/kernels"
)

// attachReleasers sets the Release of every matrix of the checkpoint's
// weights (kernels.Tensor.Release): called with (lo, hi), it drops from
// the process's memory the pages of the file mapping that hold only
// values [lo, hi) (for Q8_0, and their scales [lo/GroupSize,
// hi/GroupSize)). The values stay valid — a later read faults the pages
// back in from the page cache or the file — so a kernel provider that
// has copied a weight into its own layout can give the mapped original's
// memory back, and the process holds one copy of the model rather than
// two. Release stays nil where the tensor is not inside the checkpoint's
// mapping (a synthetic or decoded model on the Go heap, where memory
// cannot be given back piecemeal) or the platform cannot drop pages, and
// on the RMS-norm vectors, which no provider copies. After Close the
// functions do nothing.
func (c *Checkpoint) attachReleasers() {
	for _, t := range c.Weights.matrices() {
		t.Release = c.releaserOf(*t)
	}
}

// releaserOf is the Release function of tensor t (see attachReleasers),
// or nil.
func (c *Checkpoint) releaserOf(t kernels.Tensor) func(lo, hi int) {
	if t.DType == kernels.F32 {
		return c.releaser(unsafe.Pointer(unsafe.SliceData(t.F32)), len(t.F32), 4)
	}
	rq := c.releaser(unsafe.Pointer(unsafe.SliceData(t.Q8)), len(t.Q8), 1)
	rs := c.releaser(unsafe.Pointer(unsafe.SliceData(t.Scales)), len(t.Scales), 4)
	gs := t.GroupSize
	if rq == nil || rs == nil || gs <= 0 {
		return nil
	}
	return func(lo, hi int) {
		rq(lo, hi)
		rs(lo/gs, hi/gs)
	}
}

// releaser is the release function of n elements of size bytes at p.
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
