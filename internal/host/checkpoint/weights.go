package checkpoint

// Weights holds a model's tensors as float32 slices in llama2.c's
// row-major layout (rows are outputs). Per-layer tensors are one slice per
// layer so that callers index them without offset arithmetic. Loaded
// weights may be views into read-only mapped memory: never write to them.
type Weights struct {
	TokenEmbedding []float32   // VocabSize×Dim
	RMSAtt         [][]float32 // per layer, Dim
	WQ             [][]float32 // per layer, Dim×Dim
	WK, WV         [][]float32 // per layer, KVDim×Dim
	WO             [][]float32 // per layer, Dim×Dim
	RMSFFN         [][]float32 // per layer, Dim
	W1, W3         [][]float32 // per layer, HiddenDim×Dim
	W2             [][]float32 // per layer, Dim×HiddenDim
	RMSFinal       []float32   // Dim
	Classifier     []float32   // VocabSize×Dim; aliases TokenEmbedding when shared
}

// layered returns the Weights field holding a per-layer tensor, or nil.
func (w *Weights) layered(t tensor) *[][]float32 {
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
func (w *Weights) single(t tensor) *[]float32 {
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

// assemble slices floats, which holds exactly floatCount(spans) values in
// the spans' order, into Weights. Each tensor's capacity ends where it
// does, so appending to one cannot overwrite its neighbour. With no
// classifier span the classifier aliases the token embedding.
func assemble(spans []span, floats []float32) Weights {
	var w Weights
	off := 0
	take := func(n int) []float32 {
		s := floats[off : off+n : off+n]
		off += n
		return s
	}
	for _, s := range spans {
		n := int(s.elems())
		if s.perLayer {
			layers := make([][]float32, s.count)
			for l := range layers {
				layers[l] = take(n)
			}
			*w.layered(s.t) = layers
			continue
		}
		t := take(n)
		if p := w.single(s.t); p != nil {
			*p = t
		}
	}
	if w.Classifier == nil {
		w.Classifier = w.TokenEmbedding
	}
	return w
}

// floatCount is the number of float32s the spans hold. Call it only on
// spans that weightBytes accepted.
func floatCount(spans []span) int64 {
	var n int64
	for _, s := range spans {
		n += s.count * s.elems()
	}
	return n
}
