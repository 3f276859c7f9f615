package runner

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParsePercent reads a target such as --until-ci's, given as a percentage
// ("2%", "0.5%") or as a fraction ("0.02"), and returns the fraction
// (0.02). The result is always in (0, 1): "150%" is an error, and so is a
// bare number ≥ 1 such as "2", which is far more likely a percentage
// missing its "%" than a fraction, so the error suggests "2%". Empty,
// non-numeric, zero, negative and non-finite values are errors too. The
// errors do not name the flag: the caller wraps them with it.
func ParsePercent(s string) (float64, error) {
	text := strings.TrimSpace(s)
	number, pct := strings.CutSuffix(text, "%")
	number = strings.TrimSpace(number)
	if number == "" {
		return 0, fmt.Errorf("%q: want a percentage such as 2%% or a fraction such as 0.02", s)
	}
	v, err := strconv.ParseFloat(number, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a number: want a percentage such as 2%% or a fraction such as 0.02", s)
	}
	switch {
	case v <= 0:
		return 0, fmt.Errorf("%s is not above 0", text)
	case pct && v >= 100:
		return 0, fmt.Errorf("%s is not below 100%%", text)
	case pct:
		return v / 100, nil
	case v >= 1:
		return 0, fmt.Errorf("%s is not a fraction below 1: for %s percent write %s%%", text, number, number)
	}
	return v, nil
}
