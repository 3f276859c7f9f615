package checkpoint

import (
	"fmt"

	"github.com/retrollama/retrollama/kernels"
)

// Weights holds a model's tensors in llama2.c's row-major layout (rows
// are outputs), each one kernels.Tensor whatever its dtype: the contract's
// type, so the engine hands them to providers as they are. The RMS-norm
// vectors (1×Dim) are always F32; the matrices are F32 in fp32 checkpoints
// and Q8_0 in Q8_0 ones (with their kind's group size). Per-layer tensors
// are one per layer so that callers index them without offset arithmetic.
// Tensors are named as the engine reports them: "token_embedding",
// "layers.3.wq", "rms_final", "classifier". Loaded weights may be views
// into read-only mapped memory: never write to them.
type Weights struct {
	TokenEmbedding kernels.Tensor   // VocabSize×Dim
	RMSAtt         []kernels.Tensor // per layer, 1×Dim
	WQ             []kernels.Tensor // per layer, Dim×Dim
	WK, WV         []kernels.Tensor // per layer, KVDim×Dim
	WO             []kernels.Tensor // per layer, Dim×Dim
	RMSFFN         []kernels.Tensor // per layer, 1×Dim
	W1, W3         []kernels.Tensor // per layer, HiddenDim×Dim
	W2             []kernels.Tensor // per layer, Dim×HiddenDim
	RMSFinal       kernels.Tensor   // 1×Dim
	// Classifier is VocabSize×Dim; when shared it is TokenEmbedding's
	// values under the name "classifier".
	Classifier kernels.Tensor
}

// layered returns the Weights field holding a per-layer tensor, or nil.
func (w *Weights) layered(t tensor) *[]kernels.Tensor {
	switch t {
	case tRMSAtt:
		return &w.RMSAtt
	case tWQ:
		return &w.WQ
	case tWK:
		return &w.WK
	case tWV:
		return &w.WV
	case tWO:
		return &w.WO
	case tRMSFFN:
		return &w.RMSFFN
	case tW1:
		return &w.W1
	case tW2:
		return &w.W2
	case tW3:
		return &w.W3
	}
	return nil
}

// single returns the Weights field holding a whole-model tensor, or nil
// for the legacy frequency tables, which Weights does not keep.
func (w *Weights) single(t tensor) *kernels.Tensor {
	switch t {
	case tTokenEmbedding:
		return &w.TokenEmbedding
	case tRMSFinal:
		return &w.RMSFinal
	case tClassifier:
		return &w.Classifier
	}
	return nil
}

// matrices returns every matrix of w, the token embedding and the
// classifier included, for setting a field of each.
func (w *Weights) matrices() []*kernels.Tensor {
	ms := []*kernels.Tensor{&w.TokenEmbedding}
	for _, ls := range [][]kernels.Tensor{w.WQ, w.WK, w.WV, w.WO, w.W1, w.W2, w.W3} {
		for i := range ls {
			ms = append(ms, &ls[i])
		}
	}
	return append(ms, &w.Classifier)
}

// instances returns the tensors of a span's kind in wt, in file order:
// one per layer for per-layer tensors, else the one tensor (none for the
// legacy frequency tables).
func (w *Weights) instances(s span) []kernels.Tensor {
	if s.perLayer {
		return *w.layered(s.t)
	}
	if p := w.single(s.t); p != nil {
		return []kernels.Tensor{*p}
	}
	return nil
}

// Source hands out the storage of a model's tensors, each call returning
// the next n values of its kind in file order: float32s (the fp32 tensors,
// a Q8_0 file's RMS-norm vectors), and for each Q8_0 matrix its values
// (Int8s) then its scales (Scales). A Source of an fp32 model needs only
// Floats.
type Source struct {
	Floats func(n int) []float32
	Int8s  func(n int) []int8
	Scales func(n int) []float32
}

// FloatSource hands out consecutive slices of floats, each one's capacity
// ending where it does so that appending to one cannot overwrite its
// neighbour.
func FloatSource(floats []float32) Source {
	off := 0
	return Source{Floats: func(n int) []float32 {
		s := floats[off : off+n : off+n]
		off += n
		return s
	}}
}

// Assemble lays out the weights of a file of format f for shape c (whose
// WeightBytes with gs are accepted) in storage taken from src, in file
// order, as Parse does: a matrix whose kind has a group size in gs is
// Q8_0, every other tensor F32; a shared classifier is the token
// embedding. Synthetic models build their weights with it.
func Assemble(c Config, f Format, shared bool, gs GroupSizes, src Source) Weights {
	return tensors(layout(c, f, shared), gs, src)
}

// tensors lays out the tensors of spans (sizes accepted by weightBytes
// for gs) in storage taken from src, in span order: a matrix whose kind
// has a group size in gs is Q8_0, every other tensor F32. The legacy
// frequency tables' values are taken and dropped. With no classifier span
// the classifier is the token embedding.
func tensors(spans []span, gs GroupSizes, src Source) Weights {
	var w Weights
	for _, s := range spans {
		n := int(s.elems())
		ts := make([]kernels.Tensor, s.count)
		for l := range ts {
			t := kernels.Tensor{Name: s.name(l), Rows: int(s.rows), Cols: int(s.cols)}
			if g := gs.of(s.t); g > 0 && s.quantized() {
				t.DType, t.GroupSize = kernels.Q8_0, g
				t.Q8 = src.Int8s(n)
				t.Scales = src.Scales(n / g)
			} else {
				t.DType, t.F32 = kernels.F32, src.Floats(n)
			}
			ts[l] = t
		}
		if s.perLayer {
			*w.layered(s.t) = ts
		} else if p := w.single(s.t); p != nil {
			*p = ts[0]
		}
	}
	if w.Classifier.DType == 0 {
		w.Classifier = w.TokenEmbedding
		w.Classifier.Name = tClassifier.name()
	}
	return w
}

// name is the engine's name of instance l of the span's tensor:
// "layers.3.wq" for per-layer tensors, "classifier" for the others.
func (s span) name(l int) string {
	if s.perLayer {
		return fmt.Sprintf("layers.%d.%s", l, s.t.name())
	}
	return s.t.name()
}
