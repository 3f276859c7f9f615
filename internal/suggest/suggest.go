// Package suggest finds the name a user probably meant, for "did you mean"
// hints on commands, profiles, providers and kernels.hcl names alike.
package suggest

import (
	"fmt"

	"github.com/agext/levenshtein"
)

// Closest returns the candidate within two edits of given (as hclsyntax
// suggests), the nearest first in order of candidates, or "".
func Closest(given string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := levenshtein.Distance(given, c, nil); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// DidYouMean returns ` Did you mean "x"?` for Closest, or "".
func DidYouMean(given string, candidates []string) string {
	if best := Closest(given, candidates); best != "" {
		return fmt.Sprintf(" Did you mean %q?", best)
	}
	return ""
}
