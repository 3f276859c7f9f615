package sampler

import (
	"testing"
)

func softmaxNotUsed([]float32) error { panic("softmax must not run at temperature 0") }

// identity leaves probabilities as they are, so tests can hand the sampler
// exact distributions (temperature 1 divides by 1, exactly).
func identity([]float32) error { return nil }

// TestRNGMatchesRunC: values printed by run.c's random_u32/random_f32,
// compiled with gcc.
func TestRNGMatchesRunC(t *testing.T) {
	s, err := New(4, 1, 0.9, 42, identity)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []uint32{1456360119, 3359763283, 3393612768} {
		if got := s.randomU32(); got != want {
			t.Errorf("draw %d: %d, want %d", i, got, want)
		}
	}
	neg := int32(-5) // run.c: atoi("-5") stored in an unsigned long long
	s, _ = New(4, 1, 0.9, uint64(neg), identity)
	if got := s.randomF32(); got != 0.160387576 {
		t.Errorf("random_f32 = %.9g, want 0.160387576", got)
	}
}

func TestArgmaxTakesFirstMaximum(t *testing.T) {
	s, _ := New(5, 0, 0.9, 1, softmaxNotUsed)
	tests := []struct {
		logits []float32
		want   int
	}{
		{[]float32{1, 3, 3, 2, 0}, 1},
		{[]float32{-1, -1, -1, -1, -1}, 0},
		{[]float32{0, 0, 0, 0, 9}, 4},
	}
	for _, tt := range tests {
		if got, _ := s.Sample(tt.logits); got != tt.want {
			t.Errorf("Sample(%v) = %d, want %d", tt.logits, got, tt.want)
		}
	}
}

func TestMultinomial(t *testing.T) {
	p := []float32{0.25, 0.25, 0.5}
	tests := []struct {
		coin float32
		want int
	}{{0, 0}, {0.2499, 0}, {0.25, 1}, {0.5, 2}, {0.999, 2}, {1.5, 2}}
	for _, tt := range tests {
		if got := multinomial(p, tt.coin); got != tt.want {
			t.Errorf("multinomial(coin %g) = %d, want %d", tt.coin, got, tt.want)
		}
	}
}

// TestTopP checks the nucleus, the order of candidates (ties keep token
// order, as glibc's stable qsort) and the rescaled coin.
func TestTopP(t *testing.T) {
	p := []float32{0.1, 0.3, 0.3, 0.25, 0.05}
	s, _ := New(len(p), 1, 0.5, 1, identity)
	// Sorted: 1 (0.3), 2 (0.3), 3 (0.25), ... cumulative 0.6 > 0.5 after
	// two candidates, so only tokens 1 and 2 can be drawn: r = coin·0.6.
	tests := []struct {
		coin float32
		want int
	}{{0, 1}, {0.49, 1}, {0.51, 2}, {0.99, 2}}
	for _, tt := range tests {
		if got := s.topP(p, tt.coin); got != tt.want {
			t.Errorf("topP(coin %g) = %d, want %d", tt.coin, got, tt.want)
		}
	}
}

func TestTopPNeverReturnsOutOfRange(t *testing.T) {
	nan := float32(0)
	nan /= nan
	s, _ := New(3, 1, 0.9, 1, identity)
	if got := s.topP([]float32{nan, nan, nan}, 0.5); got < 0 || got > 2 {
		t.Errorf("topP over NaNs = %d", got)
	}
}

func TestSampleDoesNotAllocate(t *testing.T) {
	s, _ := New(512, 1, 0.9, 7, identity)
	logits := make([]float32, 512)
	allocs := testing.AllocsPerRun(50, func() {
		for i := range logits {
			logits[i] = 1.0 / 512
		}
		if _, err := s.Sample(logits); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Sample allocates %v times", allocs)
	}
}

func TestNewRejectsEmptyVocabulary(t *testing.T) {
	if _, err := New(0, 1, 0.9, 1, identity); err == nil {
		t.Error("New(0) succeeded")
	}
}
