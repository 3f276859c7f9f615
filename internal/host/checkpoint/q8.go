package checkpoint

import (
	"unsafe"

	"github.com/retrollama/retrollama/internal/f32"
)

// Q8 is one Q8_0 matrix as llama2.c's runq.c stores it: the values
// row-major as int8, and one float32 scale per group of GroupSize
// consecutive values, so value i is float32(Q[i]) * S[i/GroupSize]. Loaded
// matrices may be views into read-only mapped memory: never write to them.
type Q8 struct {
	Q []int8    // the quantized values, row-major
	S []float32 // one scale per group of values
}

// QuantizedWeights holds the matrices of a Q8_0 checkpoint, one Q8 per
// layer for per-layer tensors, with the shapes Weights documents.
type QuantizedWeights struct {
	WQ, WK, WV, WO []Q8 // per layer: Dim×Dim, KVDim×Dim, KVDim×Dim, Dim×Dim
	W1, W2, W3     []Q8 // per layer: HiddenDim×Dim, Dim×HiddenDim, HiddenDim×Dim
	// Classifier is VocabSize×Dim; it is TokenEmbedding when the
	// checkpoint's classifier is shared.
	Classifier     Q8
	TokenEmbedding Q8 // VocabSize×Dim
}

// layered returns the field holding a per-layer matrix, or nil.
func (q *QuantizedWeights) layered(t tensor) *[]Q8 {
	switch t {
	case tWQ:
		return &q.WQ
	case tWK:
		return &q.WK
	case tWV:
		return &q.WV
	case tWO:
		return &q.WO
	case tW1:
		return &q.W1
	case tW2:
		return &q.W2
	case tW3:
		return &q.W3
	}
	return nil
}

// single returns the field holding a whole-model matrix, or nil.
func (q *QuantizedWeights) single(t tensor) *Q8 {
	switch t {
	case tTokenEmbedding:
		return &q.TokenEmbedding
	case tClassifier:
		return &q.Classifier
	}
	return nil
}

// dequantize expands q exactly as runq.c does: one float32 multiply per
// value.
func dequantize(q Q8, groupSize int) []float32 {
	out := make([]float32, len(q.Q))
	DequantizeRange(out, q, 0, groupSize)
	return out
}

// DequantizeRange sets dst to the values of q from index off on, exactly
// as runq.c dequantizes them (one float32 multiply per value); off and
// len(dst) are multiples of groupSize, as a row of a matrix is.
func DequantizeRange(dst []float32, q Q8, off, groupSize int) {
	for start := 0; start < len(dst); start += groupSize {
		end := min(start+groupSize, len(dst))
		f32.ScaleInt8(dst[start:end], q.Q[off+start:off+end], q.S[(off+start)/groupSize])
	}
}

// int8sOf views b as int8s; int8 has no alignment requirement, so this
// never copies (mapped values stay out of the Go heap).
func int8sOf(b []byte) []int8 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*int8)(unsafe.Pointer(&b[0])), len(b))
}

// assembleQ8 slices body, the weight region of a Q8_0 file that
// weightBytes accepted for spans and gs, into the float32 RMS-norm
// vectors (Weights) and the quantized matrices. Scales are views when
// aligned (see floatsOf) and decoded copies otherwise, since int8 sizes
// need not be multiples of 4. The matrix fields of Weights stay nil,
// TokenEmbedding too: Checkpoint.Embedding dequantizes a row when asked.
func assembleQ8(spans []span, body []byte, gs GroupSizes) (Weights, *QuantizedWeights) {
	off := 0
	take := func(n int) []byte {
		b := body[off : off+n : off+n]
		off += n
		return b
	}
	floats := func(n int) []float32 { return floatsOf(take(4 * n)) }
	return q8Tensors(spans, gs, q8Source{
		floats: floats,
		int8s:  func(n int) []int8 { return int8sOf(take(n)) },
		scales: floats,
	})
}

// q8Source hands out the storage of a Q8_0 model's tensors, each call
// returning the next n values of its kind in file order: the RMS-norm
// vectors (floats), and for each matrix its values (int8s) then its
// scales (scales).
type q8Source struct {
	floats func(n int) []float32
	int8s  func(n int) []int8
	scales func(n int) []float32
}

// q8Tensors lays out the tensors of spans (Q8_0 order, sizes accepted
// by weightBytes for gs) in storage taken from src: the RMS-norm
// vectors in Weights, the matrices in QuantizedWeights, a shared
// classifier as the token embedding. Weights.TokenEmbedding stays nil.
func q8Tensors(spans []span, gs GroupSizes, src q8Source) (Weights, *QuantizedWeights) {
	var w Weights
	q := &QuantizedWeights{}
	for _, s := range spans {
		n := int(s.elems())
		if !s.quantized() {
			fs := make([][]float32, s.count)
			for l := range fs {
				fs[l] = src.floats(n)
			}
			if s.perLayer {
				*w.layered(s.t) = fs
			} else {
				*w.single(s.t) = fs[0]
			}
			continue
		}
		qs := make([]Q8, s.count)
		for l := range qs {
			qs[l].Q = src.int8s(n)
			qs[l].S = src.scales(n / gs.of(s.t))
		}
		if s.perLayer {
			*q.layered(s.t) = qs
		} else {
			*q.single(s.t) = qs[0]
		}
	}
	if q.Classifier.Q == nil {
		q.Classifier = q.TokenEmbedding
	}
	return w, q
}
