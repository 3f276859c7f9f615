// Package forward records the kernel calls of a real forward pass for
// conformance.Replay. It is apart from package conformance so that the
// suite's core does not depend on the engine (internal/host/model, internal/host/dispatch),
// which may change without provider tests noticing.
package forward

import (
	"fmt"
	"slices"

	"github.com/retrollama/retrollama/internal/f32"

	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/internal/host/dispatch"
	"github.com/retrollama/retrollama/internal/host/model"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/conformance"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// Record runs steps greedy decoding steps of ck from the BOS token on the
// scalar reference and returns the model's shape and the first maxCalls
// kernel calls it made (maxCalls ≤ 0: all). After each step it also
// softmaxes a copy of the logits, as the sampler does at temperature 1, so
// that Softmax is replayed on real logits too. The calls' weight tensors
// are ck's: replay them before closing ck.
func Record(ck *checkpoint.Checkpoint, steps, maxCalls int) (kernels.Shape, []conformance.Call, error) {
	shape := model.Shape(ck.Config)
	rec := conformance.NewRecorder(scalar.New(), maxCalls)
	ops, err := uniform(rec, shape)
	if err != nil {
		return shape, nil, fmt.Errorf("record %s: %w", ck.Path, err)
	}
	defer ops.Close()
	m, err := model.New(ck, ops)
	if err != nil {
		return shape, nil, fmt.Errorf("record %s: %w", ck.Path, err)
	}
	token := 1 // BOS
	for pos := range min(steps, ck.Config.SeqLen) {
		logits, err := m.Forward(token, pos)
		if err != nil {
			return shape, nil, fmt.Errorf("record %s: %w", ck.Path, err)
		}
		token = f32.Argmax(logits)
		if err := rec.Softmax(slices.Clone(logits)); err != nil {
			return shape, nil, fmt.Errorf("record %s: softmax at position %d: %w", ck.Path, pos, err)
		}
	}
	return shape, rec.Calls(), nil
}

// uniform builds a dispatch table that sends every op to p. It is the only
// place that knows the dispatch API, which is still changing.
func uniform(p kernels.Provider, shape kernels.Shape) (*dispatch.Table, error) {
	return dispatch.New(dispatch.Uniform(p, p.Name()), shape)
}
