//go:build 386

package f32

// Implemented in f32_386.s; lengths are at least 1, checked by the
// exported wrappers.

//go:noescape
func add(x, y []float32)

//go:noescape
func div(x []float32, d float32)

//go:noescape
func argmax(x []float32) int

//go:noescape
func search(p []float32, coin float32) int

//go:noescape
func scaleInt8(dst []float32, q []int8, s float32)
