package checkpoint

import (
	"fmt"
	"runtime"

	"github.com/retrollama/retrollama/kernels"
)

// QuantizeFunc quantizes w to Q8_0 group by group, writing dst.Q8 (as
// long as w) and dst.Scales (one per dst.GroupSize values, which divides
// len(w)). It is how SyntheticQ8 quantizes without this package owning the
// rounding rules, which package quantize keeps (quantize.Synthetic passes
// export.py's). SyntheticQ8 calls it concurrently on disjoint slices.
type QuantizeFunc func(dst kernels.Tensor, w []float32) error

// syntheticQ8Workers caps the goroutines SyntheticQ8FromConfig uses, each
// with a scratch buffer of fillChunk floats (256 KiB), so that its working
// memory does not grow with the machine's core count.
const syntheticQ8Workers = 4

// SyntheticQ8 is the named synthetic model (see Synthetic) quantized to
// Q8_0 with groupSize by quantize: with quantize.Synthetic's quantizer it
// is bit for bit what quantizing Synthetic(name) and parsing the written
// file gives (FormatQ8, Quantized, the RMS-norm vectors, the dequantized
// token embedding, the shared classifier), Path included: "synthetic:<name>
// q8_0 gs=<groupSize>". It is built streaming (see SyntheticQ8FromConfig).
func SyntheticQ8(name string, groupSize int, quantize QuantizeFunc) (*Checkpoint, error) {
	cfg, ok := ShapeOf(name)
	if !ok {
		return nil, fmt.Errorf("checkpoint synthetic:%s: %w", name, unknownShape(name))
	}
	ck, err := SyntheticQ8FromConfig(cfg, syntheticSeed(name), groupSize, quantize)
	if err != nil {
		return nil, err
	}
	ck.Path = fmt.Sprintf("synthetic:%s q8_0 gs=%d", name, groupSize)
	return ck, nil
}

// SyntheticQ8FromConfig is SyntheticFromConfig(cfg, seed) quantized to
// Q8_0 with groupSize by quantize, as SyntheticQ8 describes; its Path is
// SyntheticFromConfig's followed by " q8_0 gs=<groupSize>".
//
// The fp32 model is never held: each 64Ki-float chunk of a matrix is
// generated into a scratch buffer (its generator depends only on the
// chunk's index) and quantized straight into the final int8 values and
// scales, so that the memory allocated is the Q8_0 weights (one byte per
// value, a float32 scale per group, the float32 RMS-norm vectors), plus
// at most syntheticQ8Workers scratch buffers (the token embedding is
// dequantized a row at a time, by Checkpoint.Embedding): 17.6 MB for stories15M,
// where quantizing Synthetic("stories15M") through an encoded file
// allocates 143 MB, too much for a 128 MB machine.
//
// A group that straddles two chunks (possible only when groupSize does not
// divide 65536; group sizes chosen by quantize.ChooseGroupSize always do)
// is carried over in the scratch buffer to the next chunk.
func SyntheticQ8FromConfig(cfg Config, seed uint64, groupSize int, quantize QuantizeFunc) (*Checkpoint, error) {
	name := fmt.Sprintf("synthetic:%v seed=%d q8_0 gs=%d", cfg, seed, groupSize)
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", name, err)
	}
	if err := cfg.CheckGroupSize(groupSize); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", name, err)
	}
	if quantize == nil {
		return nil, fmt.Errorf("checkpoint %s: no QuantizeFunc", name)
	}
	spans := layout(cfg, FormatQ8, true)
	n, err := weightBytes(spans, Uniform(groupSize))
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", name, err)
	}
	if n > MaxSyntheticBytes {
		return nil, fmt.Errorf("checkpoint %s: synthetic weights too large: %d bytes, more than the %d allowed", name, n, int64(MaxSyntheticBytes))
	}

	// One store per kind of storage, each tensor a view into it, a span's
	// instances consecutive: base[si] is where span si starts in its store
	// (plain for RMS-norm vectors, values for matrices, whose scales start
	// at base[si]/groupSize since every instance holds whole groups).
	base := make([]int, len(spans))
	var nPlain, nValues int
	for si, s := range spans {
		k := int(s.count * s.elems())
		if s.quantized() {
			base[si], nValues = nValues, nValues+k
		} else {
			base[si], nPlain = nPlain, nPlain+k
		}
	}
	plain := make([]float32, nPlain)
	values := make([]int8, nValues)
	scales := make([]float32, nValues/groupSize)
	var p, v, sc int
	w := tensors(spans, Uniform(groupSize), source{
		floats: func(n int) []float32 { p += n; return plain[p-n : p : p] },
		int8s:  func(n int) []int8 { v += n; return values[v-n : v : v] },
		scales: func(n int) []float32 { sc += n; return scales[sc-n : sc : sc] },
	})

	items := syntheticChunks(spans)
	runs := q8Runs(spans, items, groupSize)
	errs := make([]error, len(runs))
	workers := min(runtime.GOMAXPROCS(0), syntheticQ8Workers)
	scratch := make([][]float32, workers) // one buffer per worker, made when first needed
	parallel(len(runs), workers, func(worker, r int) {
		first, last := runs[r][0], runs[r][1]
		s := spans[items[first].span]
		b := base[items[first].span]
		if !s.quantized() { // a single chunk, generated in place
			it := items[first]
			it.fill(plain[b+it.lo:b+it.hi], seed, first)
			return
		}
		if scratch[worker] == nil {
			scratch[worker] = make([]float32, 0, fillChunk+groupSize-1)
		}
		buf := scratch[worker][:0]
		pos := b + items[first].lo // where buf[0] goes in values
		for i := first; i <= last; i++ {
			it := items[i]
			k := len(buf)
			buf = buf[:k+it.hi-it.lo]
			it.fill(buf[k:], seed, i)
			whole := len(buf) / groupSize * groupSize
			if whole == 0 { // a chunk shorter than a group: carry it all
				continue
			}
			dst := q8Tensor(values[pos:pos+whole], scales[pos/groupSize:(pos+whole)/groupSize], groupSize)
			if err := quantize(dst, buf[:whole]); err != nil {
				errs[r] = fmt.Errorf("quantizing %s: %w", s.desc, err)
				return
			}
			pos += whole
			buf = buf[:copy(buf, buf[whole:])]
		}
		if len(buf) != 0 { // cannot happen: groupSize divides every span, and runs end on group boundaries
			panic(fmt.Sprintf("checkpoint: synthetic %s run ends inside a group", s.desc))
		}
	})
	if err := firstError(errs); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", name, err)
	}
	return &Checkpoint{
		Path:             name,
		Format:           FormatQ8,
		Config:           cfg,
		SharedClassifier: true,
		Weights:          w,
		GroupSize:        groupSize,
		GroupSizes:       Uniform(groupSize),
	}, nil
}

// q8Tensor is the Q8_0 tensor of values q and scales s in groups of gs,
// as a QuantizeFunc is handed it.
func q8Tensor(q []int8, s []float32, gs int) kernels.Tensor {
	return kernels.Tensor{DType: kernels.Q8_0, Rows: 1, Cols: len(q), Q8: q, Scales: s, GroupSize: gs}
}

// q8Runs groups fill items into runs [first, last] of consecutive chunks
// of one span that SyntheticQ8FromConfig generates and quantizes in order,
// so that a group cut by a chunk boundary is completed by the next chunk:
// a run ends where a chunk boundary is also a group boundary (after every
// chunk when groupSize divides fillChunk) and at the end of its span.
// RMS-norm spans, which are not quantized, are one run per chunk.
func q8Runs(spans []span, items []fillItem, groupSize int) [][2]int {
	var runs [][2]int
	for i, it := range items {
		if i > 0 && items[i-1].span == it.span && spans[it.span].quantized() && it.lo%groupSize != 0 {
			runs[len(runs)-1][1] = i
			continue
		}
		runs = append(runs, [2]int{i, i})
	}
	return runs
}

// firstError returns the first non-nil error of errs, so that a failure is
// reported the same way whatever the scheduling.
func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
