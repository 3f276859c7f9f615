package checkpoint

import "math"

// maxBytes is the largest file or allocation this package accepts: what a
// Go int can index (2 GiB on 32-bit platforms such as GOARCH=386), capped
// at 2^48, the largest allocation the Go runtime supports on 64-bit ones.
const maxBytes = min(math.MaxInt, 1<<48)

// product multiplies non-negative factors, reporting false if the result
// (in bytes when one factor is a byte width) exceeds maxBytes; intermediate
// results are checked too, so no multiplication can overflow int64.
func product(factors ...int64) (int64, bool) {
	p := int64(1)
	for _, f := range factors {
		if f < 0 {
			return 0, false
		}
		if f != 0 && p > maxBytes/f {
			return 0, false
		}
		p *= f
	}
	return p, true
}
