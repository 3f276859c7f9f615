package forward

import (
	"os"
	"testing"

	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/internal/host/quantize"
	"github.com/retrollama/retrollama/internal/host/synthetic"
	"github.com/retrollama/retrollama/internal/testdata"
)

// Stories260K returns the real stories260K checkpoint from ../shared, or
// the synthetic one of the same shape when ../shared is absent, so that
// replay tests run everywhere instead of skipping; the real one is
// preferred for its realistic activations. The lookup runs in a subtest
// ("shared stories260K.bin") that is skipped, saying why, when the file is
// missing. The checkpoint is closed when t ends.
func Stories260K(t *testing.T) *checkpoint.Checkpoint {
	t.Helper()
	return sharedOr(t, "stories260K.bin", "synthetic stories260K", func() (*checkpoint.Checkpoint, error) {
		return synthetic.Model("stories260K")
	})
}

// Stories260KQ8 returns stories260K in runq.c's Q8_0 format, group size 4:
// the real stories260K_q80_gs4.bin from ../shared, or else Stories260K
// quantized in memory (quantize.Model, exactly what "retrollama quantize"
// writes), so that Q8_0 replay tests run everywhere. It is closed when t
// ends.
func Stories260KQ8(t *testing.T) *checkpoint.Checkpoint {
	t.Helper()
	return sharedOr(t, "stories260K_q80_gs4.bin", "stories260K quantized in memory", func() (*checkpoint.Checkpoint, error) {
		ck, _, err := quantize.Model(Stories260K(t), 4)
		return ck, err
	})
}

// sharedOr opens ../shared/models/file, looked up in a subtest that is
// skipped, saying what is used instead, when the file is missing; else it
// builds the stand-in. The checkpoint is closed when t ends.
func sharedOr(t *testing.T, file, standIn string, build func() (*checkpoint.Checkpoint, error)) *checkpoint.Checkpoint {
	t.Helper()
	var path string
	t.Run("shared "+file, func(t *testing.T) {
		p := testdata.Path(t, "models", file)
		if _, err := os.Stat(p); err != nil {
			t.Skipf("using %s: %v", standIn, err)
		}
		path = p
	})
	var ck *checkpoint.Checkpoint
	var err error
	if path != "" {
		ck, err = checkpoint.Open(path)
	} else {
		ck, err = build()
	}
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	t.Cleanup(func() {
		if err := ck.Close(); err != nil {
			t.Errorf("close %s: %v", ck.Path, err)
		}
	})
	return ck
}
