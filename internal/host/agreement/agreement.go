// Package agreement measures how closely a quantized model follows the
// model it was quantized from: greedy decoding from BOS, token by token,
// both on one kernel profile (every shipped profile computes the
// reference's bits, so which one changes only the time). It is what `retrollama
// quantize` reports next to the quantization error, because a small
// weight error says little about whether the text changes.
package agreement

import (
	"fmt"

	"github.com/retrollama/retrollama/internal/f32"
	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/internal/host/dispatch"
	"github.com/retrollama/retrollama/internal/host/model"
	"github.com/retrollama/retrollama/kernels"
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

// String is "A of N greedy tokens agree (first difference at token P)"
// or "... (no difference)".
func (r Result) String() string {
	tail := fmt.Sprintf("first difference at token %d", r.Prefix+1)
	if r.Prefix == r.Steps {
		tail = "no difference"
	}
	return fmt.Sprintf("%d of %d greedy tokens agree (%s)", r.Agree, r.Steps, tail)
}

// Tables builds a dispatch table for a model shape: the kernels both
// models run on. Reference is the scalar reference for every op.
type Tables func(kernels.Shape) (*dispatch.Table, error)

// Reference builds tables that send every op to the scalar reference.
func Reference(s kernels.Shape) (*dispatch.Table, error) {
	return dispatch.New(dispatch.Uniform(scalar.New(), "builtin.scalar"), s)
}

// Greedy decodes steps greedy tokens of base from BOS on tables' kernels
// (Reference when nil) and reports how candidate (same shape and
// vocabulary) agrees with them (Result). Neither checkpoint is closed.
func Greedy(base, candidate *checkpoint.Checkpoint, steps int, tables Tables) (Result, error) {
	if base.Config != candidate.Config {
		return Result{}, fmt.Errorf("agreement: %s is %v but %s is %v", base.Path, base.Config, candidate.Path, candidate.Config)
	}
	if tables == nil {
		tables = Reference
	}
	steps = min(steps, base.Config.SeqLen)
	b, closeB, err := transformer(base, tables)
	if err != nil {
		return Result{}, err
	}
	defer closeB()
	c, closeC, err := transformer(candidate, tables)
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

// transformer builds ck on a table from tables.
func transformer(ck *checkpoint.Checkpoint, tables Tables) (*model.Transformer, func(), error) {
	ops, err := tables(model.Shape(ck.Config))
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
