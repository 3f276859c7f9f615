package synthetic

import (
	"fmt"
	"runtime"

	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/kernels"
)

// quantizer quantizes w to Q8_0 group by group, writing dst.Q8 (as long
// as w) and dst.Scales (one per dst.GroupSize values, which divides
// len(w)): checkpoint.Quantize, export.py's rules, or in tests one that
// makes placement checkable or fails. It is called concurrently on
// disjoint slices.
type quantizer func(dst kernels.Tensor, w []float32) error

// q8Workers caps the goroutines Q8FromConfig uses, each with a scratch
// buffer of fillChunk floats (256 KiB), so that its working memory does
// not grow with the machine's core count.
const q8Workers = 4

// Q8 is the named synthetic model (see Model) quantized to Q8_0 with
// groupSize (quantize.ChooseGroupSize gives the one "retrollama
// quantize" would choose): bit for bit what quantizing Model(name) with
// package quantize and parsing the written file gives (FormatQ8, the
// RMS-norm vectors, the Q8_0 matrices, the shared classifier), Path
// included: "synthetic:<name> q8_0 gs=<groupSize>". It is built
// streaming (see Q8FromConfig).
func Q8(name string, groupSize int) (*checkpoint.Checkpoint, error) {
	cfg, ok := checkpoint.ShapeOf(name)
	if !ok {
		return nil, fmt.Errorf("checkpoint synthetic:%s: %w", name, unknownShape(name))
	}
	ck, err := Q8FromConfig(cfg, seedOf(name), groupSize)
	if err != nil {
		return nil, err
	}
	ck.Path = fmt.Sprintf("synthetic:%s q8_0 gs=%d", name, groupSize)
	return ck, nil
}

// Q8FromConfig is FromConfig(cfg, seed) quantized to Q8_0 with groupSize,
// as Q8 describes; its Path is FromConfig's followed by
// " q8_0 gs=<groupSize>".
//
// The fp32 model is never held: each 64Ki-float chunk of a matrix is
// generated into a scratch buffer (its generator depends only on the
// chunk's index) and quantized straight into the final int8 values and
// scales, so that the memory allocated is the Q8_0 weights (one byte per
// value, a float32 scale per group, the float32 RMS-norm vectors), plus
// at most q8Workers scratch buffers (the token embedding is dequantized a
// row at a time, by Checkpoint.Embedding): 17.6 MB for stories15M, where
// quantizing Model("stories15M") through an encoded file allocates
// 143 MB, too much for a 128 MB machine.
//
// A group that straddles two chunks (possible only when groupSize does not
// divide 65536; group sizes chosen by quantize.ChooseGroupSize always do)
// is carried over in the scratch buffer to the next chunk.
func Q8FromConfig(cfg checkpoint.Config, seed uint64, groupSize int) (*checkpoint.Checkpoint, error) {
	return q8FromConfig(cfg, seed, groupSize, checkpoint.Quantize)
}

// q8FromConfig is Q8FromConfig quantizing with quantize.
func q8FromConfig(cfg checkpoint.Config, seed uint64, groupSize int, quantize quantizer) (*checkpoint.Checkpoint, error) {
	name := fmt.Sprintf("synthetic:%v seed=%d q8_0 gs=%d", cfg, seed, groupSize)
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", name, err)
	}
	if err := cfg.CheckGroupSize(groupSize); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", name, err)
	}
	if quantize == nil {
		return nil, fmt.Errorf("checkpoint %s: no quantizer", name)
	}
	n, err := checkpoint.WeightBytes(cfg, checkpoint.FormatQ8, true, checkpoint.Uniform(groupSize))
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", name, err)
	}
	if n > MaxBytes {
		return nil, fmt.Errorf("checkpoint %s: synthetic weights too large: %d bytes, more than the %d allowed", name, n, int64(MaxBytes))
	}
	spans := checkpoint.Layout(cfg, checkpoint.FormatQ8, true)

	// One store per kind of storage, each tensor a view into it, a span's
	// instances consecutive: base[si] is where span si starts in its store
	// (plain for RMS-norm vectors, values for matrices, whose scales start
	// at base[si]/groupSize since every instance holds whole groups).
	base := make([]int, len(spans))
	var nPlain, nValues int
	for si, s := range spans {
		k := s.Count * s.Elems()
		if s.Matrix {
			base[si], nValues = nValues, nValues+k
		} else {
			base[si], nPlain = nPlain, nPlain+k
		}
	}
	plain := make([]float32, nPlain)
	values := make([]int8, nValues)
	scales := make([]float32, nValues/groupSize)
	var p, v, sc int
	w := checkpoint.Assemble(cfg, checkpoint.FormatQ8, true, checkpoint.Uniform(groupSize), checkpoint.Source{
		Floats: func(n int) []float32 { p += n; return plain[p-n : p : p] },
		Int8s:  func(n int) []int8 { v += n; return values[v-n : v : v] },
		Scales: func(n int) []float32 { sc += n; return scales[sc-n : sc : sc] },
	})

	items := chunks(spans)
	runs := q8Runs(spans, items, groupSize)
	errs := make([]error, len(runs))
	workers := min(runtime.GOMAXPROCS(0), q8Workers)
	scratch := make([][]float32, workers) // one buffer per worker, made when first needed
	parallel(len(runs), workers, func(worker, r int) {
		first, last := runs[r][0], runs[r][1]
		s := spans[items[first].span]
		b := base[items[first].span]
		if !s.Matrix { // a single chunk, generated in place
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
				errs[r] = fmt.Errorf("quantizing %s: %w", s.Desc, err)
				return
			}
			pos += whole
			buf = buf[:copy(buf, buf[whole:])]
		}
		if len(buf) != 0 { // cannot happen: groupSize divides every span, and runs end on group boundaries
			panic(fmt.Sprintf("synthetic: %s run ends inside a group", s.Desc))
		}
	})
	if err := firstError(errs); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", name, err)
	}
	return &checkpoint.Checkpoint{
		Path:             name,
		Format:           checkpoint.FormatQ8,
		Config:           cfg,
		SharedClassifier: true,
		Weights:          w,
		GroupSize:        groupSize,
		GroupSizes:       checkpoint.Uniform(groupSize),
	}, nil
}

// q8Tensor is the Q8_0 tensor of values q and scales s in groups of gs,
// as a quantizer is handed it.
func q8Tensor(q []int8, s []float32, gs int) kernels.Tensor {
	return kernels.Tensor{DType: kernels.Q8_0, Rows: 1, Cols: len(q), Q8: q, Scales: s, GroupSize: gs}
}

// q8Runs groups fill items into runs [first, last] of consecutive chunks
// of one span that Q8FromConfig generates and quantizes in order,
// so that a group cut by a chunk boundary is completed by the next chunk:
// a run ends where a chunk boundary is also a group boundary (after every
// chunk when groupSize divides fillChunk) and at the end of its span.
// RMS-norm spans, which are not quantized, are one run per chunk.
func q8Runs(spans []checkpoint.Span, items []fillItem, groupSize int) [][2]int {
	var runs [][2]int
	for i, it := range items {
		if i > 0 && items[i-1].span == it.span && spans[it.span].Matrix && it.lo%groupSize != 0 {
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
