package quantize

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/retrollama/retrollama/host/checkpoint"
	"github.com/retrollama/retrollama/internal/atomicfile"
)

// File quantizes the fp32 checkpoint at in and writes it to out in Q8_0
// (checkpoint.FormatQ8) with group size gs, or ChooseGroupSize's when gs
// is 0. out is written atomically: to a temporary file in out's directory,
// synced, then renamed over out, so that on any error no partial file is
// left and an existing out is untouched. File refuses to write over in
// (the same path once cleaned and made absolute, or the same file by
// os.SameFile, e.g. through a link).
func File(in, out string, gs int) (Stats, error) {
	if err := distinct(in, out); err != nil {
		return Stats{}, err
	}
	ck, err := checkpoint.Open(in)
	if err != nil {
		return Stats{}, fmt.Errorf("quantize: %w", err)
	}
	defer ck.Close()
	if gs == 0 {
		gs = ChooseGroupSize(ck.Config)
	}
	q, st, err := Quantize(ck, gs)
	if err != nil {
		return Stats{}, err
	}
	err = atomicfile.Write(out, func(w io.Writer) error {
		return checkpoint.WriteQ8(w, ck.Config, ck.SharedClassifier, gs, &ck.Weights, q)
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
