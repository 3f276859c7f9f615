package quantize

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/internal/atomicfile"
	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/internal/host/synthetic"
)

// progressLog records Progress calls and checks them as they arrive: the
// same total every time, done strictly rising and never past it.
type progressLog struct {
	t     *testing.T
	total int64
	dones []int64
	whats []string
}

func (l *progressLog) progress(done, total int64, what string) {
	l.t.Helper()
	if len(l.dones) == 0 {
		l.total = total
	}
	if total != l.total {
		l.t.Errorf("call %d: total %d, was %d", len(l.dones)+1, total, l.total)
	}
	if last := l.last(); done <= last || done > total {
		l.t.Errorf("call %d: done %d after %d (total %d)", len(l.dones)+1, done, last, total)
	}
	l.dones = append(l.dones, done)
	l.whats = append(l.whats, what)
}

func (l *progressLog) last() int64 {
	if len(l.dones) == 0 {
		return 0
	}
	return l.dones[len(l.dones)-1]
}

// matrixBytes is the fp32 bytes of a model's matrices, shared classifier
// once, counted from the configuration.
func matrixBytes(c checkpoint.Config) int64 {
	kv := int64(c.KVDim())
	dim, hid := int64(c.Dim), int64(c.HiddenDim)
	perLayer := 2*dim*dim + 2*kv*dim + 3*hid*dim
	return 4 * (int64(c.VocabSize)*dim + int64(c.Layers)*perLayer)
}

// TestQuantizeProgress: one call per matrix, reaching the fp32 bytes of
// all matrices exactly, with the same weights as without progress.
func TestQuantizeProgress(t *testing.T) {
	for _, name := range []string{"stories260K", "stories15M"} {
		t.Run(name, func(t *testing.T) {
			ck, err := synthetic.Model(name)
			if err != nil {
				t.Fatal(err)
			}
			defer ck.Close()
			gs := ChooseGroupSize(ck.Config)
			log := &progressLog{t: t}
			q, st, err := QuantizeWith(ck, gs, log.progress)
			if err != nil {
				t.Fatal(err)
			}
			c := ck.Config
			if want := matrixBytes(c); log.total != want || log.last() != want {
				t.Errorf("total %d, last done %d, want both %d", log.total, log.last(), want)
			}
			if want := 1 + 7*c.Layers; len(log.dones) != want {
				t.Errorf("%d calls, want one per matrix: %d", len(log.dones), want)
			}
			if !slicesHave(log.whats, "quantized token_embedding", "quantized layers.0.w2") {
				t.Errorf("calls name %q", log.whats)
			}
			plain, st2, err := Quantize(ck, gs)
			if err != nil {
				t.Fatal(err)
			}
			if st != st2 || !bytes.Equal(int8Bytes(q.W2[1].Q8), int8Bytes(plain.W2[1].Q8)) || !bytes.Equal(int8Bytes(q.TokenEmbedding.Q8), int8Bytes(plain.TokenEmbedding.Q8)) {
				t.Error("progress changed the result")
			}
		})
	}
}

func slicesHave(have []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			found = found || h == w
		}
		if !found {
			return false
		}
	}
	return true
}

// TestFileProgress: quantizing then writing, reaching exactly the
// matrices' fp32 bytes plus the file's size, with several calls while
// writing, and the file byte for byte File's.
func TestFileProgress(t *testing.T) {
	old := writeReport
	writeReport = 64 << 10
	defer func() { writeReport = old }()
	for _, shared := range []bool{true, false} {
		name := "shared"
		if !shared {
			name = "unshared"
		}
		t.Run(name, func(t *testing.T) {
			ck, err := synthetic.Model("stories260K")
			if err != nil {
				t.Fatal(err)
			}
			if !shared {
				ck.SharedClassifier = false
				ck.Weights.Classifier = ck.Weights.TokenEmbedding
			}
			dir := t.TempDir()
			in := filepath.Join(dir, "in.bin")
			if err := atomicfile.Write(in, func(w io.Writer) error {
				return checkpoint.Write(w, checkpoint.FormatV1, ck.Config, ck.SharedClassifier, &ck.Weights)
			}); err != nil {
				t.Fatal(err)
			}
			plain, withProgress := filepath.Join(dir, "plain.bin"), filepath.Join(dir, "progress.bin")
			if _, err := File(in, plain, 0); err != nil {
				t.Fatal(err)
			}
			log := &progressLog{t: t}
			if _, err := FileWith(in, withProgress, 0, log.progress); err != nil {
				t.Fatal(err)
			}
			a, _ := os.ReadFile(plain)
			b, _ := os.ReadFile(withProgress)
			if !bytes.Equal(a, b) {
				t.Fatal("progress changed the file")
			}
			quantized := matrixBytes(ck.Config)
			if !shared {
				quantized += 4 * int64(ck.Config.VocabSize*ck.Config.Dim)
			}
			if want := quantized + int64(len(b)); log.total != want || log.last() != want {
				t.Errorf("total %d, last done %d, want both %d (%d quantized + %d written)", log.total, log.last(), want, quantized, len(b))
			}
			writes := 0
			for _, w := range log.whats {
				if strings.HasPrefix(w, "writing "+withProgress) {
					writes++
				}
			}
			// One per writeReport bytes at most (the writes come in the
			// encoder's chunks), and more than the final one.
			if most := (len(b) + int(writeReport) - 1) / int(writeReport); writes < 2 || writes > most {
				t.Errorf("%d calls while writing %d bytes, want 2 to %d", writes, len(b), most)
			}
		})
	}
}
