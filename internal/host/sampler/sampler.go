// Package sampler picks the next token from the logits exactly as llama2.c's
// run.c does: greedy argmax at temperature 0, otherwise temperature scaling,
// softmax, one draw from run.c's xorshift generator, and either plain
// multinomial sampling or top-p (nucleus) sampling with run.c's cutoff and
// candidate order. Reproducing run.c bit for bit means reproducing its
// float32 rounding, so every sum here is a float32 sum in run.c's order.
package sampler

import (
	"fmt"
	"slices"

	"github.com/retrollama/retrollama/internal/f32"
	"github.com/retrollama/retrollama/kernels"
)

// Sampler holds the sampling settings, the RNG state and the scratch space
// for top-p; it allocates nothing per token.
type Sampler struct {
	vocabSize   int
	temperature float32
	topp        float32
	rng         uint64
	softmax     func([]float32) error
	candidates  []candidate
}

// candidate is one token considered by top-p sampling (run.c's ProbIndex).
type candidate struct {
	prob  float32
	index int
}

// New returns a sampler for a vocabulary of vocabSize tokens. softmax is
// the kernel used to turn scaled logits into probabilities (normally the
// profile's softmax op, so that it too is swappable).
func New(vocabSize int, temperature, topp float32, seed uint64, softmax func([]float32) error) (*Sampler, error) {
	if vocabSize <= 0 {
		return nil, fmt.Errorf("sampler: vocabulary size %d", vocabSize)
	}
	return &Sampler{
		vocabSize:   vocabSize,
		temperature: temperature,
		topp:        topp,
		rng:         seed,
		softmax:     softmax,
		candidates:  make([]candidate, vocabSize),
	}, nil
}

// Sample returns the next token for the given logits. It modifies logits in
// place (scaling and softmax), as run.c does.
func (s *Sampler) Sample(logits []float32) (int, error) {
	logits = logits[:s.vocabSize]
	if s.temperature == 0 {
		return f32.Argmax(logits), nil
	}
	f32.Div(logits, s.temperature)
	if err := s.softmax(logits); err != nil {
		return 0, fmt.Errorf("sampler: %s: %w", kernels.Softmax, err)
	}
	coin := s.randomF32()
	if s.topp <= 0 || s.topp >= 1 {
		return multinomial(logits, coin), nil
	}
	return s.topP(logits, coin), nil
}

// randomU32 is run.c's xorshift* generator.
func (s *Sampler) randomU32() uint32 {
	s.rng ^= s.rng >> 12
	s.rng ^= s.rng << 25
	s.rng ^= s.rng >> 27
	return uint32((s.rng * 0x2545F4914F6CDD1D) >> 32)
}

// randomF32 is a float32 in [0,1) with 24 random bits, as run.c.
func (s *Sampler) randomF32() float32 {
	return float32(s.randomU32()>>8) / 16777216.0
}

// multinomial samples an index from probabilities p given coin in [0,1).
func multinomial(p []float32, coin float32) int {
	if i := f32.Search(p, coin); i >= 0 {
		return i
	}
	return len(p) - 1 // rounding errors
}

// topP samples from the smallest set of most likely tokens whose
// probabilities add up to more than topp. Tokens below the cutoff
// (1-topp)/(n-1) cannot be in that set and are dropped before sorting, as
// run.c does; ties keep token order, as glibc's merge-sort qsort keeps them.
func (s *Sampler) topP(p []float32, coin float32) int {
	cutoff := (1 - s.topp) / float32(len(p)-1)
	c := s.candidates[:0]
	for i, v := range p {
		if v >= cutoff {
			c = append(c, candidate{prob: v, index: i})
		}
	}
	if len(c) == 0 { // only when p holds NaNs or n = 1; run.c would crash
		return multinomial(p, coin)
	}
	slices.SortFunc(c, byProbDescending)

	var cumulative float32
	last := len(c) - 1
	for i := range c {
		cumulative += c[i].prob
		if cumulative > s.topp {
			last = i
			break
		}
	}
	r := coin * cumulative
	var cdf float32
	for i := 0; i <= last; i++ {
		cdf += c[i].prob
		if r < cdf {
			return c[i].index
		}
	}
	return c[last].index
}

// byProbDescending orders candidates by falling probability (run.c's
// compare), ties by rising token index. Candidates are collected in index
// order, so this total order gives exactly what a stable sort by probability
// gives (glibc's merge-sort qsort), with an O(n log n) unstable sort
// (Go's stable sort is O(n log² n); RATIONALE.md, section "Exactness
// against llama2.c", says what it cost).
func byProbDescending(a, b candidate) int {
	switch {
	case a.prob > b.prob:
		return -1
	case a.prob < b.prob:
		return 1
	}
	return a.index - b.index
}
