package quantize

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/kernels"
)

// Stats summarises a quantization.
type Stats struct {
	GroupSize   int                   // values per scale (FormatQ8); 0 for a per-matrix quantization
	GroupSizes  checkpoint.GroupSizes // values per scale of each matrix kind
	MaxError    float64               // max |w − q·s| over every quantized weight
	WorstTensor string                // the tensor where MaxError occurs, e.g. "layers.3.w2"
	// MaxRelError is the largest relative RMS error of a matrix,
	// sqrt(Σ(w − q·s)² / Σw²), and WorstRelTensor where it occurs.
	MaxRelError    float64
	WorstRelTensor string
}

// job is one matrix to quantize: its name, its fp32 values, its kind's
// group size and where the result goes.
type job struct {
	name string
	w    []float32
	gs   int
	out  *kernels.Tensor
	err  checkpoint.QuantError
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
// scale 0 and values 0. It returns the Q8_0 model's weights: the matrices
// quantized, the RMS-norm vectors ck's own (to be written as they are, see
// checkpoint.WriteQ8); the classifier is quantized only when not shared
// (else it is the token embedding).
// Matrices are quantized concurrently; the result does not depend on
// scheduling.
func Quantize(ck *checkpoint.Checkpoint, gs int) (*checkpoint.Weights, Stats, error) {
	return QuantizeWith(ck, gs, nil)
}

// QuantizeWith is Quantize telling progress, when not nil, after each
// matrix is quantized: done and total count the fp32 bytes of the
// matrices (4 per weight; a shared classifier is not counted twice). The
// result is Quantize's, whatever progress does.
func QuantizeWith(ck *checkpoint.Checkpoint, gs int, progress Progress) (*checkpoint.Weights, Stats, error) {
	q, st, _, err := quantize(ck, gs, nil, progress, 0)
	return q, st, err
}

// QuantizePerMatrix quantizes every matrix of an fp32 checkpoint as
// Quantize does, each in groups of its kind's group size in gs (see
// ChooseGroupSizes), for checkpoint.WriteQ8PerMatrix. Progress as
// QuantizeWith.
func QuantizePerMatrix(ck *checkpoint.Checkpoint, gs checkpoint.GroupSizes, progress Progress) (*checkpoint.Weights, Stats, error) {
	q, st, _, err := quantize(ck, 0, &gs, progress, 0)
	return q, st, err
}

// quantize is QuantizeWith (per nil: gs for every matrix) or
// QuantizePerMatrix (*per) with extra bytes of work to come after it (FileWith's
// writing) counted in progress's total; it also returns the planned
// matrices.
func quantize(ck *checkpoint.Checkpoint, gs int, per *checkpoint.GroupSizes, progress Progress, after int64) (*checkpoint.Weights, Stats, []job, error) {
	if ck == nil {
		return nil, Stats{}, nil, errors.New("quantize: nil checkpoint")
	}
	if ck.Format.Quantized() {
		return nil, Stats{}, nil, fmt.Errorf("quantize %s: already Q8_0 (group size %v)", ck.Path, ck.GroupSizes)
	}
	cfg := ck.Config
	if err := cfg.Validate(); err != nil {
		return nil, Stats{}, nil, fmt.Errorf("quantize %s: %w", ck.Path, err)
	}
	var sizes checkpoint.GroupSizes
	if per == nil {
		if err := CheckGroupSize(cfg, gs); err != nil {
			return nil, Stats{}, nil, fmt.Errorf("quantize %s: %w", ck.Path, err)
		}
		sizes = checkpoint.Uniform(gs)
	} else if err := cfg.CheckGroupSizes(*per, ck.SharedClassifier); err != nil {
		return nil, Stats{}, nil, fmt.Errorf("quantize %s: %w", ck.Path, err)
	} else {
		sizes, gs = *per, 0
	}
	q, jobs, err := plan(ck, sizes)
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
				j.err, err = quantizeTensor(j.out, j.w)
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
	st := Stats{GroupSize: gs, GroupSizes: sizes}
	for i, j := range jobs {
		if errs[i] != nil {
			return nil, Stats{}, nil, fmt.Errorf("quantize %s: %w", ck.Path, errs[i])
		}
		if st.WorstTensor == "" || j.err.Max > st.MaxError {
			st.MaxError, st.WorstTensor = j.err.Max, j.name
		}
		if st.WorstRelTensor == "" || j.err.Rel > st.MaxRelError {
			st.MaxRelError, st.WorstRelTensor = j.err.Rel, j.name
		}
	}
	if ck.SharedClassifier {
		q.Classifier = q.TokenEmbedding
		q.Classifier.Name = "classifier"
	}
	return q, st, jobs, nil
}

// plan lays out the quantized weights (the matrices Q8_0 tensors whose
// values the jobs fill in, the RMS-norm vectors ck's) and lists the
// matrices to fill them, in file order, each with its kind's group size
// in gs, checking every matrix's dtype and length against the shape.
func plan(ck *checkpoint.Checkpoint, gs checkpoint.GroupSizes) (*checkpoint.Weights, []job, error) {
	c, w := ck.Config, &ck.Weights
	q := &checkpoint.Weights{RMSAtt: w.RMSAtt, RMSFFN: w.RMSFFN, RMSFinal: w.RMSFinal}
	var jobs []job
	add := func(name string, in kernels.Tensor, rows, cols, g int, out *kernels.Tensor) error {
		if in.DType != kernels.F32 {
			return fmt.Errorf("%s is %v, not f32", name, in.DType)
		}
		if len(in.F32) != rows*cols {
			return fmt.Errorf("%s has %d floats, config wants %d×%d", name, len(in.F32), rows, cols)
		}
		*out = kernels.Tensor{Name: name, DType: kernels.Q8_0, Rows: rows, Cols: cols, GroupSize: g}
		jobs = append(jobs, job{name: name, w: in.F32, gs: g, out: out})
		return nil
	}
	if err := add("token_embedding", w.TokenEmbedding, c.VocabSize, c.Dim, gs.TokenEmbedding, &q.TokenEmbedding); err != nil {
		return nil, nil, err
	}
	kv := c.KVDim()
	layered := []struct {
		name           string
		in             []kernels.Tensor
		out            *[]kernels.Tensor
		rows, cols, gs int
	}{
		{"wq", w.WQ, &q.WQ, c.Dim, c.Dim, gs.WQ}, {"wk", w.WK, &q.WK, kv, c.Dim, gs.WK}, {"wv", w.WV, &q.WV, kv, c.Dim, gs.WV},
		{"wo", w.WO, &q.WO, c.Dim, c.Dim, gs.WO}, {"w1", w.W1, &q.W1, c.HiddenDim, c.Dim, gs.W1},
		{"w2", w.W2, &q.W2, c.Dim, c.HiddenDim, gs.W2}, {"w3", w.W3, &q.W3, c.HiddenDim, c.Dim, gs.W3},
	}
	for _, t := range layered {
		if len(t.in) != c.Layers {
			return nil, nil, fmt.Errorf("%s has %d layers, config wants %d", t.name, len(t.in), c.Layers)
		}
		*t.out = make([]kernels.Tensor, c.Layers)
		for l := range c.Layers {
			if err := add(fmt.Sprintf("layers.%d.%s", l, t.name), t.in[l], t.rows, t.cols, t.gs, &(*t.out)[l]); err != nil {
				return nil, nil, err
			}
		}
	}
	if !ck.SharedClassifier {
		if err := add("classifier", w.Classifier, c.VocabSize, c.Dim, gs.Classifier, &q.Classifier); err != nil {
			return nil, nil, err
		}
	}
	return q, jobs, nil
}
