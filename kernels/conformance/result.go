package conformance

import (
	"fmt"

	"github.com/retrollama/retrollama/kernels"
)

// Result is the outcome of one op on one shape for one provider.
type Result struct {
	Provider string     // the name given to Run or Replay
	Op       kernels.Op // the op checked
	Case     string     // the shape, e.g. "stories15M wq 288x288" or "odd n=7 n=13"
	// Mode is how the outputs were compared: Exact or NMSE.
	Mode Mode

	// NMSE is Σ(got-want)²/Σwant² over all the op's outputs (0 when both
	// are all zeros, +Inf when only want is); NaN if got holds a NaN.
	NMSE float64
	// MaxAbsDiff is the largest |got-want| over all outputs.
	MaxAbsDiff float64
	// Mismatch is, in exact mode, the first output value that is not
	// bit-identical to the reference's (nil when all are, and in NMSE
	// mode); Failure quotes it.
	Mismatch *Mismatch

	// Skipped is non-empty when the provider's Supports declined the call;
	// it holds the provider's Reason.
	Skipped string
	// Failure is empty on success; otherwise one line naming the provider,
	// the op and the case and saying what went wrong.
	Failure string
}

// Passed reports whether the provider did nothing wrong: a call it
// declined in Supports passes, since declining is how the contract lets a
// provider leave an op to the next one.
func (r Result) Passed() bool { return r.Failure == "" }

// String formats r as one line for reports and logs.
func (r Result) String() string {
	switch {
	case r.Failure != "":
		return "FAIL " + r.Failure
	case r.Skipped != "":
		return fmt.Sprintf("SKIP %s: %s on %q: %s", r.Provider, r.Op, r.Case, r.Skipped)
	}
	if r.Mode == Exact {
		return fmt.Sprintf("ok   %s: %s on %q: bit-identical (exact)", r.Provider, r.Op, r.Case)
	}
	return fmt.Sprintf("ok   %s: %s on %q: NMSE %.3g, max |diff| %.3g (nmse)", r.Provider, r.Op, r.Case, r.NMSE, r.MaxAbsDiff)
}

// fail sets r's Failure from the problems found, in the one-line format.
func (r *Result) fail(problems []string) {
	if len(problems) == 0 {
		return
	}
	msg := fmt.Sprintf("%s: %s on %q:", r.Provider, r.Op, r.Case)
	for i, p := range problems {
		if i > 0 {
			msg += ";"
		}
		msg += " " + p
	}
	r.Failure = oneLine(msg)
}
