package quantize

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/retrollama/retrollama/internal/atomicfile"
	"github.com/retrollama/retrollama/internal/host/checkpoint"
)

// File quantizes the fp32 checkpoint at in and writes it to out in Q8_0
// (checkpoint.FormatQ8) with group size gs, or ChooseGroupSize's when gs
// is 0. out is written atomically: to a temporary file in out's directory,
// synced, then renamed over out, so that on any error no partial file is
// left and an existing out is untouched. File refuses to write over in
// (the same path once cleaned and made absolute, or the same file by
// os.SameFile, e.g. through a link).
func File(in, out string, gs int) (Stats, error) {
	return FileWith(in, out, gs, nil)
}

// FileWith is File telling progress, when not nil, after each matrix is
// quantized and then as out is written (at most every writeReport bytes,
// and at its end): done and total count the fp32 bytes of the matrices
// quantized (as QuantizeWith) plus the bytes of the Q8_0 file written,
// which are known before anything is quantized. The file written is
// File's, byte for byte.
func FileWith(in, out string, gs int, progress Progress) (Stats, error) {
	return file(in, out, func(ck *checkpoint.Checkpoint) (int, checkpoint.GroupSizes, error) {
		if gs == 0 {
			gs = ChooseGroupSize(ck.Config)
		}
		return gs, checkpoint.Uniform(gs), nil
	}, progress)
}

// FilePerMatrix is FileWith writing retrollama's per-matrix Q8_0 format
// (checkpoint.FormatQ8PerMatrix) with ChooseGroupSizes(ck, maxRel)'s
// group sizes (maxRel 0: DefaultMaxRelError). llama2.c's runq.c does not
// read the file it writes.
func FilePerMatrix(in, out string, maxRel float64, progress Progress) (Stats, error) {
	return file(in, out, func(ck *checkpoint.Checkpoint) (int, checkpoint.GroupSizes, error) {
		per, err := ChooseGroupSizes(ck, maxRel)
		return 0, per, err
	}, progress)
}

// file is FileWith and FilePerMatrix: choose gives FormatQ8's group size
// (> 0) or, with 0, the per-matrix group sizes to write.
func file(in, out string, choose func(*checkpoint.Checkpoint) (int, checkpoint.GroupSizes, error), progress Progress) (Stats, error) {
	if err := distinct(in, out); err != nil {
		return Stats{}, err
	}
	ck, err := checkpoint.Open(in)
	if err != nil {
		return Stats{}, fmt.Errorf("quantize: %w", err)
	}
	defer ck.Close()
	if ck.Format.Quantized() {
		return Stats{}, fmt.Errorf("quantize %s: already Q8_0 (group size %v)", ck.Path, ck.GroupSizes)
	}
	gs, per, err := choose(ck)
	if err != nil {
		return Stats{}, fmt.Errorf("quantize %s: %w", in, err)
	}
	var quantized, size int64
	if progress != nil {
		// The file's size follows from the plan; a plan's error is
		// quantize's to report.
		if _, jobs, err := plan(ck, per); err == nil && ck.Config.CheckGroupSizes(per, ck.SharedClassifier) == nil {
			for _, j := range jobs {
				quantized += 4 * int64(len(j.w))
			}
			size = q8FileBytes(ck.Config, jobs)
		}
	}
	var perMatrix *checkpoint.GroupSizes
	if gs == 0 {
		perMatrix = &per
	}
	q, st, _, err := quantize(ck, gs, perMatrix, progress, size)
	if err != nil {
		return Stats{}, err
	}
	err = atomicfile.Write(out, func(w io.Writer) error {
		if progress != nil {
			w = &progressWriter{w: w, progress: progress, base: quantized, total: quantized + size, what: "writing " + out}
		}
		if gs > 0 {
			return checkpoint.WriteQ8(w, ck.Config, ck.SharedClassifier, gs, q)
		}
		return checkpoint.WriteQ8PerMatrix(w, ck.Config, ck.SharedClassifier, per, q)
	})
	if err != nil {
		return Stats{}, fmt.Errorf("quantize %s: %w", in, err)
	}
	return st, nil
}

// distinct refuses an output that is the input file.
func distinct(in, out string) error {
	ai, err1 := filepath.Abs(filepath.Clean(in))
	ao, err2 := filepath.Abs(filepath.Clean(out))
	same := err1 == nil && err2 == nil && ai == ao
	if !same {
		si, errIn := os.Stat(in)
		so, errOut := os.Stat(out)
		same = errIn == nil && errOut == nil && os.SameFile(si, so)
	}
	if same {
		return fmt.Errorf("quantize %s: output %s is the same file as the input; refusing to overwrite it", in, out)
	}
	return nil
}

// q8FileBytes is the size of the Q8_0 file of jobs' matrices, each in
// groups of its gs: the 256-byte header, the RMS-norm weights in float32
// (two per layer and the final one, dim each), then per matrix one byte
// per value and a float32 scale per group.
func q8FileBytes(c checkpoint.Config, jobs []job) int64 {
	n := int64(256) + 4*int64(2*c.Layers+1)*int64(c.Dim)
	for _, j := range jobs {
		v := int64(len(j.w))
		n += v + 4*(v/int64(j.gs))
	}
	return n
}

// writeReport is how many bytes FileWith writes between progress calls
// (a variable so that tests can see several calls on a small model).
var writeReport int64 = 4 << 20

// progressWriter counts the bytes written through it, telling progress
// the running count (after base bytes of earlier work) every writeReport
// bytes and when it reaches total.
type progressWriter struct {
	w                 io.Writer
	progress          Progress
	base, total       int64
	written, reported int64
	what              string
}

// Write implements io.Writer.
func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.written += int64(n)
	if done := p.base + p.written; n > 0 && (p.written-p.reported >= writeReport || done == p.total) {
		p.reported = p.written
		p.progress(done, p.total, p.what)
	}
	return n, err
}
