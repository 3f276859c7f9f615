package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// tokPerSec simulates n runs of a profile running at rate tokens/s with
// multiplicative lognormal timing noise of relative size sigma.
func tokPerSec(r *rand.Rand, n int, rate, sigma float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = rate / math.Exp(sigma*r.NormFloat64())
	}
	return x
}

// TestCompareKnownRatio checks that B, drawn from A's distribution
// scaled by 2, is found 2× faster and that the 95% interval covers the
// true ratio in at least 90 of 100 seeded trials.
func TestCompareKnownRatio(t *testing.T) {
	for _, n := range []int{10, 30} {
		covered := 0
		for seed := range uint64(100) {
			r := rand.New(rand.NewPCG(seed, uint64(n)))
			a := tokPerSec(r, n, 50, 0.05)
			b := tokPerSec(r, n, 100, 0.05)
			s, err := Compare(a, b)
			if err != nil {
				t.Fatal(err)
			}
			if !s.Significant || !s.Exact || s.Lo <= 1 || s.P >= Alpha || !(s.Lo <= s.Ratio && s.Ratio <= s.Hi) {
				t.Fatalf("n=%d seed %d: %+v", n, seed, s)
			}
			if v := s.Verdict("A", "B"); !strings.HasPrefix(v, "B is ") || !strings.Contains(v, "× faster than A [95% CI ") {
				t.Fatalf("n=%d seed %d: verdict %q", n, seed, v)
			}
			if s.Lo <= 2 && 2 <= s.Hi {
				covered++
			}
		}
		if covered < 90 {
			t.Errorf("n=%d+%d: 95%% CI covered the true ratio 2 in %d/100 trials", n, n, covered)
		}
	}
}

// TestCompareSlower checks the reverse direction: B half as fast.
func TestCompareSlower(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	a := tokPerSec(r, 10, 100, 0.05)
	b := tokPerSec(r, 10, 50, 0.05)
	s, err := Compare(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Significant || s.Hi >= 1 || s.Lo > 0.5 || s.Hi < 0.5 {
		t.Fatalf("%+v", s)
	}
	if v := s.Verdict("A", "B"); !strings.Contains(v, "× slower than A [95% CI ") {
		t.Errorf("verdict %q", v)
	}
}

// TestCompareSameDistribution checks that A against A is rarely
// declared different (nominally 5% of the time).
func TestCompareSameDistribution(t *testing.T) {
	for _, n := range []int{10, 30} {
		notSig := 0
		for seed := range uint64(100) {
			r := rand.New(rand.NewPCG(seed, 1000+uint64(n)))
			s, err := Compare(tokPerSec(r, n, 50, 0.05), tokPerSec(r, n, 50, 0.05))
			if err != nil {
				t.Fatal(err)
			}
			if !s.Significant {
				notSig++
				if v := s.Verdict("A", "B"); !strings.HasPrefix(v, "no significant difference between B and A (B/A = ") {
					t.Fatalf("verdict %q", v)
				}
			}
		}
		if notSig < 90 {
			t.Errorf("n=%d+%d: A vs A not significant in only %d/100 trials", n, n, notSig)
		}
	}
}

func TestCompareHodgesLehmann(t *testing.T) {
	// a_i = e^i (i=0..4), b_j = e^(10j) (j=0..4): the 25 log differences
	// 10j−i are distinct, so the order statistics are easy to read off.
	var a5, b5 []float64
	for i := range 5 {
		a5 = append(a5, math.Exp(float64(i)))
		b5 = append(b5, math.Exp(float64(10*i)))
	}
	tests := []struct {
		name                   string
		a, b                   []float64
		logRatio, logLo, logHi float64
		exact, significant     bool
	}{
		// Ratios b/a are 3, 1.5, 6, 3: estimate 3. 2+2 runs are too few
		// for a 95% interval, so Lo..Hi is their range 1.5..6, which
		// excludes 1, yet p = 1/3 keeps it from being significant.
		{"2+2 range", []float64{2, 1}, []float64{6, 3}, math.Log(3), math.Log(1.5), math.Log(6), false, false},
		// 5+5: lower critical U is 2, so the interval is the 3rd
		// smallest and 3rd largest difference, −2 and 38; the median
		// (13th) is 18. The interval spans 0 (ratio 1): not significant.
		{"5+5 exact", a5, b5, 18, -2, 38, true, false},
	}
	for _, tt := range tests {
		a0, b0 := slices.Clone(tt.a), slices.Clone(tt.b)
		s, err := Compare(tt.a, tt.b)
		if err != nil {
			t.Fatal(err)
		}
		const eps = 1e-9
		if math.Abs(math.Log(s.Ratio)-tt.logRatio) > eps || math.Abs(math.Log(s.Lo)-tt.logLo) > eps ||
			math.Abs(math.Log(s.Hi)-tt.logHi) > eps || s.Exact != tt.exact || s.Significant != tt.significant ||
			s.NA != len(tt.a) || s.NB != len(tt.b) {
			t.Errorf("%s: got %+v (log ratio %v, log CI %v…%v)", tt.name, s, math.Log(s.Ratio), math.Log(s.Lo), math.Log(s.Hi))
		}
		if !slices.Equal(tt.a, a0) || !slices.Equal(tt.b, b0) {
			t.Errorf("%s: Compare modified its inputs", tt.name)
		}
	}
}

// TestCompareLarge checks significance and coverage on the
// normal-approximation path (n > 50, unequal sizes, true ratio 1.1).
func TestCompareLarge(t *testing.T) {
	covered := 0
	for seed := range uint64(100) {
		r := rand.New(rand.NewPCG(seed, 7))
		s, err := Compare(tokPerSec(r, 80, 50, 0.05), tokPerSec(r, 60, 55, 0.05))
		if err != nil {
			t.Fatal(err)
		}
		if !s.Significant || !s.Exact || s.NA != 80 || s.NB != 60 {
			t.Fatalf("seed %d: %+v", seed, s)
		}
		if s.Lo <= 1.1 && 1.1 <= s.Hi {
			covered++
		}
	}
	if covered < 90 {
		t.Errorf("n=80+60: 95%% CI covered the true ratio 1.1 in %d/100 trials", covered)
	}
}

func TestCompareErrors(t *testing.T) {
	ok := []float64{1, 2, 3}
	tests := []struct {
		name string
		a, b []float64
	}{
		{"A empty", nil, ok},
		{"A n=1", []float64{1}, ok},
		{"B n=1", ok, []float64{1}},
		{"zero", []float64{1, 0}, ok},
		{"negative", ok, []float64{1, -2}},
		{"NaN", []float64{math.NaN(), 1}, ok},
		{"Inf", ok, []float64{math.Inf(1), 1}},
	}
	for _, tt := range tests {
		if _, err := Compare(tt.a, tt.b); err == nil {
			t.Errorf("%s: Compare(%v, %v) succeeded", tt.name, tt.a, tt.b)
		}
	}
}
