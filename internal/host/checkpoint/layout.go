package checkpoint

import "fmt"

// tensor identifies one weight tensor (or legacy frequency table) in a
// checkpoint file.
type tensor int

const (
	tTokenEmbedding tensor = iota
	tRMSAtt
	tWQ
	tWK
	tWV
	tWO
	tRMSFFN
	tW1
	tW2
	tW3
	tRMSFinal
	tFreqReal // legacy only; read past, never used
	tFreqImag // legacy only; read past, never used
	tClassifier
)

// name is the tensor's name as the engine reports it (per layer prefixed
// "layers.N.").
func (t tensor) name() string {
	return [...]string{
		tTokenEmbedding: "token_embedding", tRMSAtt: "rms_att", tWQ: "wq", tWK: "wk", tWV: "wv", tWO: "wo",
		tRMSFFN: "rms_ffn", tW1: "w1", tW2: "w2", tW3: "w3", tRMSFinal: "rms_final",
		tFreqReal: "freq_cis_real", tFreqImag: "freq_cis_imag", tClassifier: "classifier",
	}[t]
}

// span is one run of float32s in a file: count instances (Layers for
// per-layer tensors, else 1) of a rows×cols tensor. desc names it and the
// header fields its size derives from, for error messages.
type span struct {
	t          tensor
	perLayer   bool
	rows, cols int64
	count      int64
	desc       string
}

// elems is the number of float32s in one instance of the span's tensor.
func (s span) elems() int64 { return s.rows * s.cols }

// layout lists the spans of a file's weight region in file order. Sizes
// are not multiplied out here: weightBytes does that with overflow checks.
func layout(c Config, f Format, shared bool) []span {
	dim, hid, l := int64(c.Dim), int64(c.HiddenDim), int64(c.Layers)
	var kv, half int64
	if c.Heads > 0 { // always true after Validate; guards the division anyway
		kv = dim / int64(c.Heads) * int64(c.KVHeads)
		half = dim / int64(c.Heads) / 2
	}
	vocab, seq := int64(c.VocabSize), int64(c.SeqLen)
	layer := func(t tensor, rows, cols int64, desc string) span {
		return span{t: t, perLayer: true, rows: rows, cols: cols, count: l, desc: desc}
	}
	one := func(t tensor, rows, cols int64, desc string) span {
		return span{t: t, rows: rows, cols: cols, count: 1, desc: desc}
	}
	emb := one(tTokenEmbedding, vocab, dim, "token_embedding (vocab_size × dim)")
	rmsAtt := layer(tRMSAtt, 1, dim, "rms_att (n_layers × dim)")
	wq := layer(tWQ, dim, dim, "wq (n_layers × dim × dim)")
	wk := layer(tWK, kv, dim, "wk (n_layers × kv_dim × dim)")
	wv := layer(tWV, kv, dim, "wv (n_layers × kv_dim × dim)")
	wo := layer(tWO, dim, dim, "wo (n_layers × dim × dim)")
	rmsFFN := layer(tRMSFFN, 1, dim, "rms_ffn (n_layers × dim)")
	w1 := layer(tW1, hid, dim, "w1 (n_layers × hidden_dim × dim)")
	w2 := layer(tW2, dim, hid, "w2 (n_layers × dim × hidden_dim)")
	w3 := layer(tW3, hid, dim, "w3 (n_layers × hidden_dim × dim)")
	rmsFinal := one(tRMSFinal, 1, dim, "rms_final (dim)")
	var spans []span
	if f == FormatV1 || f.Quantized() {
		spans = []span{rmsAtt, rmsFFN, rmsFinal, emb, wq, wk, wv, wo, w1, w2, w3}
	} else {
		spans = []span{emb, rmsAtt, wq, wk, wv, wo, rmsFFN, w1, w2, w3, rmsFinal,
			one(tFreqReal, seq, half, "freq_cis_real (seq_len × head_size/2)"),
			one(tFreqImag, seq, half, "freq_cis_imag (seq_len × head_size/2)")}
	}
	if !shared {
		spans = append(spans, one(tClassifier, vocab, dim, "classifier (vocab_size × dim)"))
	}
	return spans
}

// Span describes one run of tensors in a checkpoint file's weight region:
// Count instances (Layers for per-layer tensors, else 1) of a Rows×Cols
// tensor, their values consecutive. Layout lists them in file order, so
// that code outside this package (synthetic models, generated and
// streamed) can lay out or write a model without repeating the format.
type Span struct {
	Name       string // the tensor's name: "wq", "rms_att", "freq_cis_real"
	Rows, Cols int
	Count      int
	PerLayer   bool
	// Matrix reports a matrix, which the Q8_0 formats store quantized;
	// false for the RMS-norm vectors and the legacy frequency tables.
	Matrix bool
	// Table reports a legacy RoPE frequency table: written (FreqTable)
	// but never read into Weights.
	Table bool
	Desc  string // the name and the header fields its size derives from, for messages
}

// Elems is the number of values in one instance of the span's tensor.
func (s Span) Elems() int { return s.Rows * s.Cols }

// Layout lists the spans of the weight region of a file of format f for
// shape c, in file order. Call it only for a shape whose WeightBytes are
// accepted, so that every size fits an int.
func Layout(c Config, f Format, shared bool) []Span {
	var out []Span
	for _, s := range layout(c, f, shared) {
		table := s.t == tFreqReal || s.t == tFreqImag
		out = append(out, Span{Name: s.t.name(), Rows: int(s.rows), Cols: int(s.cols), Count: int(s.count),
			PerLayer: s.perLayer, Matrix: s.quantized() && !table, Table: table, Desc: s.desc})
	}
	return out
}

// WeightBytes is the byte size of the weight region of a file of format f
// for shape c with group sizes gs (zero for fp32 formats), or an error
// naming the tensor and header fields whose size overflows or exceeds
// what this platform can address.
func WeightBytes(c Config, f Format, shared bool, gs GroupSizes) (int64, error) {
	return weightBytes(layout(c, f, shared), gs)
}

// quantized reports whether a Q8_0 file stores the span's tensor as int8
// values with scales: every matrix does, the RMS-norm vectors do not.
func (s span) quantized() bool {
	return s.t != tRMSAtt && s.t != tRMSFFN && s.t != tRMSFinal
}

// weightBytes is the byte size of the spans' weights, or an error naming
// the tensor and header fields whose size overflows or, with the largest
// header added, exceeds what this platform can address. With gs zero
// every span is float32; otherwise (the Q8_0 formats, where each matrix
// kind's group size divides its input width) matrices take one byte per
// value plus a float32 scale per group. Sizes derived from the spans may
// be used to allocate only after it returns no error.
func weightBytes(spans []span, gs GroupSizes) (int64, error) {
	var total int64
	for _, s := range spans {
		var n int64
		var ok bool
		if g := int64(gs.of(s.t)); g > 0 && s.quantized() {
			// values ≤ maxBytes ≤ 2^63/5, so this sum cannot overflow
			var values int64
			values, ok = product(s.count, s.rows, s.cols)
			n = values + values/g*4
		} else {
			n, ok = product(s.count, s.rows, s.cols, 4)
		}
		if ok && n > maxBytes-v1HeaderSize-total {
			ok = false
		}
		if !ok {
			return 0, fmt.Errorf("header fields make %s too large for this platform (limit %d bytes)", s.desc, int64(maxBytes))
		}
		total += n
	}
	return total, nil
}
