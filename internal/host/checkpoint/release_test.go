//go:build linux

package checkpoint

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/retrollama/retrollama/kernels"
)

// rssBytes returns the process's resident set from /proc/self/statm.
func rssBytes(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skip("no /proc/self/statm:", err)
	}
	f := strings.Fields(string(b))
	pages, err := strconv.Atoi(f[1])
	if err != nil {
		t.Fatalf("statm %q: %v", b, err)
	}
	return pages * os.Getpagesize()
}

// TestReleaser: the Release of a mapped checkpoint's matrix drops the
// pages of a range (the process's RSS falls by about the range's size)
// while the values stay the same; it is nil for the RMS-norm vectors and
// for weights on the Go heap, and does nothing after Close. A Q8_0
// matrix's releases its values and scales.
func TestReleaser(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s15.bin")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := ShapeOf("stories15M")
	if err := Write(f, FormatLegacy, cfg, true, &synth(t, cfg, true).Weights); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	ck, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	cls := ck.Weights.Classifier.F32 // 32000×288 floats, 36.9 MB
	var sum float32
	for _, v := range cls { // fault every page in
		sum += v
	}
	want := slices.Clone(cls)
	release := ck.Weights.Classifier.Release
	if release == nil {
		t.Fatal("Release of a mapped matrix is nil")
	}
	if ck.Weights.RMSFinal.Release != nil {
		t.Error("Release of an RMS-norm vector is not nil")
	}
	before := rssBytes(t)
	release(0, len(cls))
	after := rssBytes(t)
	if drop := before - after; drop < len(cls)*4*3/4 {
		t.Errorf("RSS fell by %d bytes after releasing %d", drop, len(cls)*4)
	}
	if !slices.Equal(cls, want) {
		t.Error("values changed after release")
	}
	release(-5, math.MaxInt) // clamped, not a fault
	if r := ck.releaserOf(kernels.Tensor{DType: kernels.F32, F32: make([]float32, 100)}); r != nil {
		t.Error("Release of a heap slice is not nil")
	}

	skq, err := quantizedFile(t)
	if err != nil {
		t.Fatal(err)
	}
	defer skq.Close()
	q := skq.Weights.Classifier
	rq := q.Release
	if rq == nil {
		t.Fatal("Release of a mapped Q8_0 matrix is nil")
	}
	wq, ws := slices.Clone(q.Q8), slices.Clone(q.Scales)
	rq(0, len(q.Q8))
	if !slices.Equal(q.Q8, wq) || !slices.Equal(q.Scales, ws) {
		t.Error("Q8_0 values changed after release")
	}

	keep := release
	if err := ck.Close(); err != nil {
		t.Fatal(err)
	}
	keep(0, 1000) // after Close: nothing (the mapping is gone)
}

// quantizedFile writes and opens a random stories15M Q8_0 file.
func quantizedFile(t *testing.T) (*Checkpoint, error) {
	path := filepath.Join(t.TempDir(), "q8.bin")
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	cfg, _ := ShapeOf("stories15M")
	if err := WriteQ8(f, cfg, true, 32, randomQ8(t, cfg, true, 32, 1).w); err != nil {
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return Open(path)
}
