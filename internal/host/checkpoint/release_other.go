//go:build !linux

package checkpoint

// canDropPages: pages are only dropped on Linux (see release_linux.go);
// elsewhere the matrices' Release is nil and providers work on the mapping as it
// is.
const canDropPages = false

func dropPages([]byte) {}
