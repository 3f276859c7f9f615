package checkpoint

import (
	"fmt"
	"hash/fnv"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// maxSyntheticBytes caps the weights SyntheticFromConfig allocates, so a
// mistaken configuration fails with an error instead of exhausting memory
// (the Go runtime cannot recover from that). It is far above stories110M.
const maxSyntheticBytes = min(maxBytes, 1<<33)

// Synthetic builds a deterministic random-weight model with the shape of
// the named tinyllamas checkpoint (see KnownShapes), for tests and
// benchmarks that cannot use the real files. Its Path is
// "synthetic:<name>"; the same name always gives the same weights.
func Synthetic(name string) (*Checkpoint, error) {
	cfg, ok := ShapeOf(name)
	if !ok {
		return nil, fmt.Errorf("checkpoint synthetic:%s: %w", name, unknownShape(name))
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	ck, err := SyntheticFromConfig(cfg, h.Sum64())
	if err != nil {
		return nil, err
	}
	ck.Path = "synthetic:" + name
	return ck, nil
}

// SyntheticFromConfig builds a deterministic random-weight model of any
// valid shape from seed: matrices uniform in ±1/sqrt(fan_in) (fan_in being
// the input width, i.e. the column count), RMS-norm weights uniform in
// 1±0.1, and a classifier shared with the token embedding. All weights live
// in one []float32 backing store, laid out in FormatV1 order; its Path is
// "synthetic:<config> seed=<seed>".
func SyntheticFromConfig(cfg Config, seed uint64) (*Checkpoint, error) {
	name := fmt.Sprintf("synthetic:%v seed=%d", cfg, seed)
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", name, err)
	}
	spans := layout(cfg, FormatV1, true)
	n, err := weightBytes(spans, 0)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", name, err)
	}
	if n > maxSyntheticBytes {
		return nil, fmt.Errorf("checkpoint %s: synthetic weights too large: %d bytes, more than the %d allowed", name, n, int64(maxSyntheticBytes))
	}
	store := make([]float32, n/4)
	fillSynthetic(spans, store, seed)
	return &Checkpoint{
		Path:             name,
		Format:           FormatV1,
		Config:           cfg,
		SharedClassifier: true,
		Weights:          assemble(spans, store),
	}, nil
}

// fillChunk is how many floats one synthetic work item fills: small enough
// to spread over all cores, large enough that scheduling costs nothing.
const fillChunk = 1 << 16

// fillItem is one chunk of a tensor to fill: store[lo:hi] gets values
// centred on center with the given scale, from a generator seeded by its
// index, so the result does not depend on how items are scheduled.
type fillItem struct {
	lo, hi        int
	center, scale float32
}

// fillSynthetic fills store, laid out as spans, with seeded random
// values: RMS-norm weights 1±0.1, matrices ±1/sqrt(fan_in). The chunks are
// filled concurrently (first-touch page faults dominate on large models),
// each from its own generator, so the values are the same on every run.
func fillSynthetic(spans []span, store []float32, seed uint64) {
	var items []fillItem
	off := 0
	for _, s := range spans {
		center, scale := float32(0), float32(1/math.Sqrt(float64(s.cols)))
		if s.t == tRMSAtt || s.t == tRMSFFN || s.t == tRMSFinal {
			center, scale = 1, 0.1
		}
		end := off + int(s.count*s.elems())
		for lo := off; lo < end; lo += fillChunk {
			items = append(items, fillItem{lo: lo, hi: min(lo+fillChunk, end), center: center, scale: scale})
		}
		off = end
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(items)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(items) {
					return
				}
				it := items[i]
				newRNG(seed^uint64(i)*0x9e3779b97f4a7c15).fill(store[it.lo:it.hi], it.center, it.scale)
			}
		})
	}
	wg.Wait()
}
