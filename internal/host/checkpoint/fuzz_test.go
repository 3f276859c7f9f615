package checkpoint

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/kernels"
)

// FuzzParse feeds arbitrary bytes to Parse. It must never panic; errors
// must be one line naming the file; and a successful parse must describe a
// valid shape whose implied size is exactly the input's and whose tensors
// all have the lengths that shape implies. Seeds beyond those added here
// live in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	tiny := Config{Dim: 4, HiddenDim: 6, Layers: 1, Heads: 2, KVHeads: 1, VocabSize: 3, SeqLen: 2}
	for _, format := range []Format{FormatLegacy, FormatV1} {
		for _, shared := range []bool{true, false} {
			f.Add(encode(f, format, synth(f, tiny, shared)))
		}
	}
	// Q8_0: group sizes 1 and 2 (whose scale arrays fall unaligned after
	// 6-value embeddings), then a few ways to break the header.
	odd := Config{Dim: 2, HiddenDim: 6, Layers: 1, Heads: 1, KVHeads: 1, VocabSize: 3, SeqLen: 2}
	for i, gs := range []int{1, 2} {
		f.Add(randomQ8(f, tiny, i == 0, gs, 1).encode(f))
		f.Add(randomQ8(f, odd, i == 1, gs, 2).encode(f))
	}
	q8 := randomQ8(f, tiny, true, 2, 3).encode(f)
	for _, gs := range []byte{0, 3, 0xff} {
		broken := append([]byte(nil), q8...)
		broken[groupSizeOffset] = gs
		f.Add(broken)
	}
	f.Add(q8[:len(q8)-1])
	// Q8_0 per matrix: tiny with group sizes that differ by kind, shared
	// and not, and with a group size broken.
	for _, shared := range []bool{true, false} {
		gs := GroupSizes{TokenEmbedding: 2, WQ: 4, WK: 1, WV: 2, WO: 4, W1: 2, W2: 3, W3: 1, Classifier: 4}
		if shared {
			gs.Classifier = gs.TokenEmbedding
		}
		q := randomPerMatrix(f, tiny, shared, gs, 4)
		var buf bytes.Buffer
		if err := WriteQ8PerMatrix(&buf, tiny, shared, gs, q); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
		broken := bytes.Clone(buf.Bytes())
		broken[groupSizeOffset+4*6] = 6 // w2: more scales than the file holds
		f.Add(broken)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz.bin"
		ck, err := Parse(name, data)
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "checkpoint "+name+": ") || strings.Contains(msg, "\n") {
				t.Fatalf("error %q is not one line naming the file", msg)
			}
			return
		}
		if err := ck.Config.Validate(); err != nil {
			t.Fatalf("parsed an invalid config %v: %v", ck.Config, err)
		}
		n, err := weightBytes(layout(ck.Config, ck.Format, ck.SharedClassifier), ck.GroupSizes)
		if err != nil {
			t.Fatalf("parsed config %v has no size: %v", ck.Config, err)
		}
		if want := int64(ck.Format.headerSize()) + n; want != int64(len(data)) {
			t.Fatalf("config %v implies %d bytes, input has %d", ck.Config, want, len(data))
		}
		if ck.Format == FormatQ8 {
			if err := ck.Config.CheckGroupSize(ck.GroupSize); err != nil {
				t.Fatalf("parsed a bad group size: %v", err)
			}
			checkQ8(t, ck, ck.Config, ck.SharedClassifier, ck.GroupSize, nil)
			return
		}
		if ck.Format == FormatQ8PerMatrix {
			if err := ck.Config.CheckGroupSizes(ck.GroupSizes, ck.SharedClassifier); err != nil {
				t.Fatalf("parsed bad group sizes: %v", err)
			}
			checkPerMatrix(t, ck)
			return
		}
		if ck.GroupSize != 0 || ck.Weights.WQ[0].DType != kernels.F32 || ck.Weights.Classifier.DType != kernels.F32 {
			t.Fatalf("fp32 checkpoint with group size %d, wq %v, classifier %v", ck.GroupSize, ck.Weights.WQ[0].DType, ck.Weights.Classifier.DType)
		}
		checkShape(t, ck.Config, ck.SharedClassifier, &ck.Weights)
	})
}

// TestFuzzSeeds checks that the committed corpus still means what its file
// names say: valid_* seeds parse, broken_* seeds do not, so the fuzzer
// starts from both sides of every check.
func TestFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzParse")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var valid, broken int
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
		if len(lines) != 2 || lines[0] != "go test fuzz v1" ||
			!strings.HasPrefix(lines[1], "[]byte(") || !strings.HasSuffix(lines[1], ")") {
			t.Fatalf("%s: not a one-value go test fuzz v1 file", e.Name())
		}
		s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		_, err = Parse(e.Name(), []byte(s))
		switch {
		case strings.HasPrefix(e.Name(), "valid_"):
			valid++
			if err != nil {
				t.Errorf("%s: %v", e.Name(), err)
			}
		case strings.HasPrefix(e.Name(), "broken_"):
			broken++
			if err == nil {
				t.Errorf("%s parsed without error", e.Name())
			}
		}
	}
	if valid < 2 || broken < 2 {
		t.Errorf("corpus has %d valid and %d broken seeds, want at least 2 of each", valid, broken)
	}
}
