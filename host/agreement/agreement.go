// Package agreement measures how closely a quantized model follows the
// model it was quantized from: greedy decoding from BOS, both on the
// scalar reference kernels, token by token. It is what `retrollama
// quantize` reports next to the quantization error, because a small
// weight error says little about whether the text changes.
package agreement

import (
	"fmt"

	"github.com/retrollama/retrollama/host/checkpoint"
	"github.com/retrollama/retrollama/host/dispatch"
	"github.com/retrollama/retrollama/host/model"
	"github.com/retrollama/retrollama/internal/f32"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// Result is the agreement of a candidate model with a base model over
// Steps greedy positions.
type Result struct {
	// Steps is how many positions were compared: the steps asked for,
	// capped at the models' context length.
	Steps int
	// Agree counts the positions where the candidate's greedy token is the
	// base's, both fed the base's greedy text so far (teacher forcing), so
	// that one early difference does not hide every later agreement.
	Agree int
	// Prefix is how many of the candidate's own greedy tokens (free
	// running, from BOS) equal the base's before the first difference:
	// the length of the text both would print alike.
	Prefix int
}

// String is "agrees on A of N greedy tokens (first difference at token P)"
// or "... (no difference)".
func (r Result) String() string {
	tail := fmt.Sprintf("first difference at token %d", r.Prefix+1)
	if r.Prefix == r.Steps {
		tail = "no difference"
	}
	return fmt.Sprintf("agrees on %d of %d greedy tokens (%s)", r.Agree, r.Steps, tail)
}

// Greedy decodes steps greedy tokens of base from BOS on the scalar
// reference and reports how candidate (same shape and vocabulary) agrees
// with them (Result). Neither checkpoint is closed.
func Greedy(base, candidate *checkpoint.Checkpoint, steps int) (Result, error) {
	if base.Config != candidate.Config {
		return Result{}, fmt.Errorf("agreement: %s is %v but %s is %v", base.Path, base.Config, candidate.Path, candidate.Config)
	}
	steps = min(steps, base.Config.SeqLen)
	b, closeB, err := transformer(base)
	if err != nil {
		return Result{}, err
	}
	defer closeB()
	c, closeC, err := transformer(candidate)
	if err != nil {
		return Result{}, err
	}
	defer closeC()
	r := Result{Steps: steps}
	token, free := 1, true // BOS; free: the candidate has matched so far
	for pos := range steps {
		lb, err := b.Forward(token, pos)
		if err != nil {
			return Result{}, fmt.Errorf("agreement: %s: %w", base.Path, err)
		}
		want := f32.Argmax(lb)
		lc, err := c.Forward(token, pos)
		if err != nil {
			return Result{}, fmt.Errorf("agreement: %s: %w", candidate.Path, err)
		}
		if f32.Argmax(lc) == want {
			r.Agree++
			if free {
				r.Prefix++
			}
		} else {
			free = false
		}
		token = want
	}
	return r, nil
}

// transformer builds ck on the scalar reference for every op.
func transformer(ck *checkpoint.Checkpoint) (*model.Transformer, func(), error) {
	ops, err := dispatch.New(dispatch.Uniform(scalar.New(), "builtin.scalar"), model.Shape(ck.Config))
	if err != nil {
		return nil, nil, fmt.Errorf("agreement: %s: %w", ck.Path, err)
	}
	m, err := model.New(ck, ops)
	if err != nil {
		ops.Close()
		return nil, nil, fmt.Errorf("agreement: %w", err)
	}
	return m, func() { ops.Close() }, nil
}
