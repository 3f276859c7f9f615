package builtin_test

import (
	"fmt"
	"testing"

	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/internal/host/forward"
	"github.com/retrollama/retrollama/internal/kernels/builtin"
	"github.com/retrollama/retrollama/internal/raceflag"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/conformance"
)

// factory makes fresh instances of a builtin provider with the given
// threads per op.
func factory(info builtin.Info, threads int) conformance.Factory {
	return func() kernels.Provider { return info.New(builtin.Options{Threads: threads}) }
}

// threadCounts are the threads per op each provider is checked with: two,
// so that providers that split work exercise their parallel paths; and,
// but under -short and -race, one (the unsplit path) and three (blocks
// that do not divide evenly). In exact mode every count must give the
// reference's bits: rows are independent, so how they are split changes
// nothing.
func threadCounts() []int {
	if testing.Short() || raceflag.Enabled {
		return []int{2}
	}
	return []int{1, 2, 3}
}

// usable skips t when this CPU cannot run the provider.
func usable(t *testing.T, info builtin.Info) {
	t.Helper()
	if info.Usable != nil {
		if err := info.Usable(); err != nil {
			t.Skipf("%s is not usable here: %v", info.Name, err)
		}
	}
}

// eachProvider runs check on every registered builtin provider usable
// here, once per thread count, in subtests named provider/threads=N.
func eachProvider(t *testing.T, check func(t *testing.T, name string, f conformance.Factory)) {
	for _, info := range builtin.All() {
		t.Run(info.Name, func(t *testing.T) {
			usable(t, info)
			for _, n := range threadCounts() {
				t.Run(fmt.Sprintf("threads=%d", n), func(t *testing.T) {
					check(t, fmt.Sprintf("%s@%d", info.Name, n), factory(info, n))
				})
			}
		})
	}
}

// TestConformance runs the conformance suite in exact mode on every
// registered builtin provider: registering a provider is all it takes to
// have it held to the reference's bits.
func TestConformance(t *testing.T) {
	eachProvider(t, func(t *testing.T, name string, f conformance.Factory) {
		conformance.Test(t, name, f)
	})
}

// TestReplay replays, in exact mode, the kernel calls of eight greedy
// steps of stories260K (the real model when ../shared has it, else the
// synthetic one) on every registered builtin provider.
func TestReplay(t *testing.T) { replay(t, forward.Stories260K(t)) }

// TestReplayQ8 replays, in exact mode, eight greedy steps of stories260K
// in Q8_0 (group size 4) on every registered builtin provider: its
// matmuls are the quantized ones, which providers such as swar run and
// the fp32 replay never reaches.
func TestReplayQ8(t *testing.T) { replay(t, forward.Stories260KQ8(t)) }

// replay records eight greedy steps of ck and replays their kernel
// calls, in exact mode, on every registered builtin provider.
func replay(t *testing.T, ck *checkpoint.Checkpoint) {
	t.Helper()
	shape, calls, err := forward.Record(ck, 8, 0)
	if err != nil {
		t.Fatal(err)
	}
	eachProvider(t, func(t *testing.T, name string, f conformance.Factory) {
		conformance.Check(t, conformance.Replay(name, f, shape, calls, conformance.Options{Mode: conformance.Exact}))
	})
}
