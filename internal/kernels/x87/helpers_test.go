package x87

import (
	"fmt"
	"slices"
	"testing"

	"github.com/retrollama/retrollama/internal/kernels/kerneltest"
)

// sizes are the vector lengths the kernel tests sweep: unit, odd, below,
// at and above the four-row blocks, and the stories models' widths.
var sizes = []int{1, 2, 3, 4, 5, 7, 8, 9, 17, 64, 288, 768}

// unchanged fails t if v no longer equals its copy was.
func unchanged(t testing.TB, what string, v, was []float32) {
	t.Helper()
	if !slices.EqualFunc(v, was, kerneltest.Same) {
		t.Fatalf("%s: input modified", what)
	}
}

func label(format string, a ...any) string { return fmt.Sprintf(format, a...) }
