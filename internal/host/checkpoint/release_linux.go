package checkpoint

import "golang.org/x/sys/unix"

// canDropPages: Linux drops a shared file mapping's pages with
// madvise(MADV_DONTNEED), and a later read faults them back in from the
// page cache (or the file), unchanged.
const canDropPages = true

// dropPages removes b's pages (page-aligned, inside a MAP_SHARED file
// mapping) from the process. It is advice: an error leaves them resident,
// which costs memory, never correctness, so it is ignored.
func dropPages(b []byte) { _ = unix.Madvise(b, unix.MADV_DONTNEED) }
