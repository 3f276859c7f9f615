package conformance_test

import (
	"testing"

	"github.com/retrollama/retrollama/internal/raceflag"

	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/conformance"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// newScalar is the reference as a Factory.
func newScalar() kernels.Provider { return scalar.New() }

// TestScalarAgainstItself: the reference passes every call of the default
// cases bit for bit (exact mode by default, NMSE and max |diff| exactly
// 0), and the cases reach
// every op of the contract.
func TestScalarAgainstItself(t *testing.T) {
	results := conformance.Run("scalar", newScalar, conformance.Options{Short: testing.Short() || raceflag.Enabled})
	seen := map[kernels.Op]int{}
	for _, r := range results {
		seen[r.Op]++
		if !r.Passed() || r.Skipped != "" || r.NMSE != 0 || r.MaxAbsDiff != 0 || r.Mode != conformance.Exact || r.Mismatch != nil {
			t.Errorf("%s: NMSE %g, max |diff| %g", r, r.NMSE, r.MaxAbsDiff)
		}
	}
	for _, op := range kernels.AllOps() {
		if seen[op] == 0 {
			t.Errorf("no call of %s in the default cases", op)
		}
	}
	t.Logf("%d calls: %v", len(results), seen)
}
