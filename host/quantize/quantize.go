package quantize

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/retrollama/retrollama/host/checkpoint"
)

// Stats summarises a quantization.
type Stats struct {
	GroupSize   int     // values per scale
	MaxError    float64 // max |w − q·s| over every quantized weight
	WorstTensor string  // the tensor where MaxError occurs, e.g. "layers.3.w2"
}

// job is one matrix to quantize: its name, its fp32 values and where the
// result goes.
type job struct {
	name string
	w    []float32
	out  *checkpoint.Q8
	err  float64
}

// Progress is told of a quantization's progress: done bytes of total,
// and what was just done (a matrix's name, e.g. "quantized layers.3.w2",
// or "writing FILE"). total is the same in every call and known before
// the first; done only rises, and the last call of a run that does not
// fail has done == total. Calls never overlap (they come from one
// goroutine at a time) and never change what is computed; a slow
// callback slows the run. See QuantizeWith and FileWith for what the
// bytes count.
type Progress func(done, total int64, what string)

// Quantize quantizes every matrix of an fp32 checkpoint as llama2.c's
// export.py does: per group of gs values scale = max|w|/127 (float32) and
// q = round-half-to-even(w/scale) (torch.round); an all-zero group gets
// scale 0 and values 0. The RMS-norm weights stay in ck.Weights, to be
// written as they are (see checkpoint.WriteQ8); the classifier is
// quantized only when not shared (else it is the token embedding).
// Matrices are quantized concurrently; the result does not depend on
// scheduling.
func Quantize(ck *checkpoint.Checkpoint, gs int) (*checkpoint.QuantizedWeights, Stats, error) {
	return QuantizeWith(ck, gs, nil)
}

// QuantizeWith is Quantize telling progress, when not nil, after each
// matrix is quantized: done and total count the fp32 bytes of the
// matrices (4 per weight; a shared classifier is not counted twice). The
// result is Quantize's, whatever progress does.
func QuantizeWith(ck *checkpoint.Checkpoint, gs int, progress Progress) (*checkpoint.QuantizedWeights, Stats, error) {
	q, st, _, err := quantize(ck, gs, progress, 0)
	return q, st, err
}

// quantize is QuantizeWith with extra bytes of work to come after it
// (FileWith's writing) counted in progress's total; it also returns the
// planned matrices.
func quantize(ck *checkpoint.Checkpoint, gs int, progress Progress, after int64) (*checkpoint.QuantizedWeights, Stats, []job, error) {
	if ck == nil {
		return nil, Stats{}, nil, errors.New("quantize: nil checkpoint")
	}
	if ck.Quantized != nil || ck.Format == checkpoint.FormatQ8 {
		return nil, Stats{}, nil, fmt.Errorf("quantize %s: already Q8_0 (group size %d)", ck.Path, ck.GroupSize)
	}
	cfg := ck.Config
	if err := cfg.Validate(); err != nil {
		return nil, Stats{}, nil, fmt.Errorf("quantize %s: %w", ck.Path, err)
	}
	if err := CheckGroupSize(cfg, gs); err != nil {
		return nil, Stats{}, nil, fmt.Errorf("quantize %s: %w", ck.Path, err)
	}
	q, jobs, err := plan(ck)
	if err != nil {
		return nil, Stats{}, nil, fmt.Errorf("quantize %s: %w", ck.Path, err)
	}
	var total int64
	for _, j := range jobs {
		total += 4 * int64(len(j.w))
	}
	total += after
	var mu sync.Mutex // serialises progress and its count
	var done int64
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	work := make(chan int)
	for range min(runtime.GOMAXPROCS(0), len(jobs)) {
		wg.Go(func() {
			for i := range work {
				j := &jobs[i]
				var err error
				*j.out, j.err, err = quantizeTensor(j.w, gs)
				if err != nil {
					errs[i] = fmt.Errorf("%s: %w", j.name, err)
				} else if progress != nil {
					mu.Lock()
					done += 4 * int64(len(j.w))
					progress(done, total, "quantized "+j.name)
					mu.Unlock()
				}
			}
		})
	}
	for i := range jobs {
		work <- i
	}
	close(work)
	wg.Wait()
	st := Stats{GroupSize: gs}
	for i, j := range jobs {
		if errs[i] != nil {
			return nil, Stats{}, nil, fmt.Errorf("quantize %s: %w", ck.Path, errs[i])
		}
		if st.WorstTensor == "" || j.err > st.MaxError {
			st.MaxError, st.WorstTensor = j.err, j.name
		}
	}
	if ck.SharedClassifier {
		q.Classifier = q.TokenEmbedding
	}
	return q, st, jobs, nil
}

// plan lays out the quantized weights and lists the matrices to fill
// them, in file order, checking every matrix's length against the shape.
func plan(ck *checkpoint.Checkpoint) (*checkpoint.QuantizedWeights, []job, error) {
	c, w := ck.Config, &ck.Weights
	q := &checkpoint.QuantizedWeights{}
	var jobs []job
	add := func(name string, f []float32, rows, cols int, out *checkpoint.Q8) error {
		if len(f) != rows*cols {
			return fmt.Errorf("%s has %d floats, config wants %d×%d", name, len(f), rows, cols)
		}
		jobs = append(jobs, job{name: name, w: f, out: out})
		return nil
	}
	if err := add("token_embedding", w.TokenEmbedding, c.VocabSize, c.Dim, &q.TokenEmbedding); err != nil {
		return nil, nil, err
	}
	kv := c.KVDim()
	layered := []struct {
		name       string
		in         [][]float32
		out        *[]checkpoint.Q8
		rows, cols int
	}{
		{"wq", w.WQ, &q.WQ, c.Dim, c.Dim}, {"wk", w.WK, &q.WK, kv, c.Dim}, {"wv", w.WV, &q.WV, kv, c.Dim},
		{"wo", w.WO, &q.WO, c.Dim, c.Dim}, {"w1", w.W1, &q.W1, c.HiddenDim, c.Dim},
		{"w2", w.W2, &q.W2, c.Dim, c.HiddenDim}, {"w3", w.W3, &q.W3, c.HiddenDim, c.Dim},
	}
	for _, t := range layered {
		if len(t.in) != c.Layers {
			return nil, nil, fmt.Errorf("%s has %d layers, config wants %d", t.name, len(t.in), c.Layers)
		}
		*t.out = make([]checkpoint.Q8, c.Layers)
		for l := range c.Layers {
			if err := add(fmt.Sprintf("layers.%d.%s", l, t.name), t.in[l], t.rows, t.cols, &(*t.out)[l]); err != nil {
				return nil, nil, err
			}
		}
	}
	if !ck.SharedClassifier {
		if err := add("classifier", w.Classifier, c.VocabSize, c.Dim, &q.Classifier); err != nil {
			return nil, nil, err
		}
	}
	return q, jobs, nil
}
