// Package model is the Llama-2 transformer of llama2.c: the forward pass as
// orchestration only. Every piece of arithmetic on weights goes through the
// dispatch table, so the model never knows which kernel runs an op; only
// the glue (copying an embedding row, adding residuals) happens here.
package model

import (
	"fmt"

	"github.com/retrollama/retrollama/internal/f32"
	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/internal/host/dispatch"
	"github.com/retrollama/retrollama/kernels"
)

// Transformer runs a loaded checkpoint on a dispatch table. It owns the
// activations and the KV cache and allocates nothing per token.
type Transformer struct {
	cfg     checkpoint.Config
	ops     *dispatch.Table
	ck      *checkpoint.Checkpoint // the token embedding is read from it by row
	weights weights
	state   state
}

// layer holds one transformer block's prepared weight handles.
type layer struct {
	rmsAtt, rmsFFN     *dispatch.Prepared
	wq, wk, wv, wo     *dispatch.Prepared
	w1, w2, w3         *dispatch.Prepared
	keyCache, valCache []float32 // SeqLen×KVDim each
}

type weights struct {
	layers     []layer
	rmsFinal   *dispatch.Prepared
	classifier *dispatch.Prepared
}

// state is run.c's RunState: every activation buffer, allocated once.
type state struct {
	x, xb, xb2 []float32 // residual stream and scratch, Dim
	hb, hb2    []float32 // feed-forward, HiddenDim
	q          []float32 // query, Dim
	logits     []float32 // VocabSize
}

// Shape is a checkpoint's configuration as the kernel contract's shape
// (the same fields: checkpoint.Config is a kernels.Shape).
func Shape(c checkpoint.Config) kernels.Shape { return kernels.Shape(c) }

// New prepares every weight of ck on the providers of ops and allocates the
// run state. ops must have been built for Shape(ck.Config).
func New(ck *checkpoint.Checkpoint, ops *dispatch.Table) (*Transformer, error) {
	c, w := ck.Config, &ck.Weights
	kvDim := c.KVDim()
	t := &Transformer{cfg: c, ops: ops, ck: ck}
	var err error
	// prepare makes a weight of op resident on its provider, fp32 or Q8_0
	// alike; after a failure it does nothing, and New reports the first.
	prepare := func(op kernels.Op, tensor kernels.Tensor) *dispatch.Prepared {
		if err != nil {
			return nil
		}
		var p *dispatch.Prepared
		p, err = ops.Prepare(op, tensor)
		return p
	}
	t.weights.layers = make([]layer, c.Layers)
	for l := range t.weights.layers {
		t.weights.layers[l] = layer{
			rmsAtt:   prepare(kernels.RMSNorm, w.RMSAtt[l]),
			wq:       prepare(kernels.MatMul, w.WQ[l]),
			wk:       prepare(kernels.MatMul, w.WK[l]),
			wv:       prepare(kernels.MatMul, w.WV[l]),
			wo:       prepare(kernels.MatMul, w.WO[l]),
			rmsFFN:   prepare(kernels.RMSNorm, w.RMSFFN[l]),
			w1:       prepare(kernels.MatMul, w.W1[l]),
			w2:       prepare(kernels.MatMul, w.W2[l]),
			w3:       prepare(kernels.MatMul, w.W3[l]),
			keyCache: ops.AllocCache(c.SeqLen * kvDim),
			valCache: ops.AllocCache(c.SeqLen * kvDim),
		}
	}
	t.weights.rmsFinal = prepare(kernels.RMSNorm, w.RMSFinal)
	t.weights.classifier = prepare(kernels.MatMul, w.Classifier)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", ck.Path, err)
	}
	t.state = state{
		x: make([]float32, c.Dim), xb: make([]float32, c.Dim), xb2: make([]float32, c.Dim),
		hb: make([]float32, c.HiddenDim), hb2: make([]float32, c.HiddenDim),
		q: make([]float32, c.Dim), logits: make([]float32, c.VocabSize),
	}
	return t, nil
}

// Config returns the model's shape.
func (t *Transformer) Config() checkpoint.Config { return t.cfg }

// Forward runs token at position pos through the model and returns the
// logits, a slice owned by the Transformer and overwritten by the next
// call. Positions must be fed in order from 0 (the KV cache holds 0..pos).
func (t *Transformer) Forward(token, pos int) ([]float32, error) {
	c, s, ops := t.cfg, &t.state, t.ops
	if token < 0 || token >= c.VocabSize {
		return nil, fmt.Errorf("forward: token %d outside vocabulary [0,%d)", token, c.VocabSize)
	}
	if pos < 0 || pos >= c.SeqLen {
		return nil, fmt.Errorf("forward: position %d outside [0,%d)", pos, c.SeqLen)
	}
	kvDim := c.KVDim()
	x := s.x
	t.ck.Embedding(x, token)

	for _, l := range t.weights.layers {
		// attention: x += wo · attention(rope(wq·norm(x)), cache)
		ops.RMSNorm(s.xb, x, l.rmsAtt)
		k := l.keyCache[pos*kvDim : (pos+1)*kvDim]
		v := l.valCache[pos*kvDim : (pos+1)*kvDim]
		ops.MatMul(s.q, l.wq, s.xb)
		ops.MatMul(k, l.wk, s.xb)
		ops.MatMul(v, l.wv, s.xb)
		ops.RoPE(s.q, k, pos)
		ops.Attention(s.xb, s.q, l.keyCache, l.valCache, pos)
		ops.MatMul(s.xb2, l.wo, s.xb)
		f32.Add(x, s.xb2)

		// feed-forward: x += w2 · (silu(w1·norm(x)) * w3·norm(x))
		ops.RMSNorm(s.xb, x, l.rmsFFN)
		ops.MatMul(s.hb, l.w1, s.xb)
		ops.MatMul(s.hb2, l.w3, s.xb)
		ops.SwiGLU(s.hb, s.hb2)
		ops.MatMul(s.xb, l.w2, s.hb)
		f32.Add(x, s.xb)
	}

	ops.RMSNorm(x, x, t.weights.rmsFinal)
	ops.MatMul(s.logits, t.weights.classifier, x)
	if err := ops.Err(); err != nil {
		return nil, fmt.Errorf("forward: token %d at position %d: %w", token, pos, err)
	}
	return s.logits, nil
}
