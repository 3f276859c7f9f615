package forward

import (
	"os"
	"testing"

	"github.com/retrollama/retrollama/host/checkpoint"
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
	var path string
	t.Run("shared stories260K.bin", func(t *testing.T) {
		p := testdata.Path(t, "models", "stories260K.bin")
		if _, err := os.Stat(p); err != nil {
			t.Skipf("using synthetic stories260K: %v", err)
		}
		path = p
	})
	var ck *checkpoint.Checkpoint
	var err error
	if path != "" {
		ck, err = checkpoint.Open(path)
	} else {
		ck, err = checkpoint.Synthetic("stories260K")
	}
	if err != nil {
		t.Fatalf("stories260K: %v", err)
	}
	t.Cleanup(func() {
		if err := ck.Close(); err != nil {
			t.Errorf("close %s: %v", ck.Path, err)
		}
	})
	return ck
}
