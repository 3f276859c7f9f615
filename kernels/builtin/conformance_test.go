package builtin_test

import (
	"testing"

	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/builtin"
	"github.com/retrollama/retrollama/kernels/conformance"
	"github.com/retrollama/retrollama/kernels/conformance/forward"
)

// factory makes fresh instances of a builtin provider with two threads, so
// that providers that split work exercise their parallel paths.
func factory(info builtin.Info) conformance.Factory {
	return func() kernels.Provider { return info.New(builtin.Options{Threads: 2}) }
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

// TestConformance runs the conformance suite on every registered builtin
// provider: registering a provider is all it takes to have it checked.
func TestConformance(t *testing.T) {
	for _, info := range builtin.All() {
		t.Run(info.Name, func(t *testing.T) {
			usable(t, info)
			conformance.Test(t, info.Name, factory(info))
		})
	}
}

// TestReplay replays the kernel calls of eight greedy steps of stories260K
// (the real model when ../shared has it, else the synthetic one) on every
// registered builtin provider.
func TestReplay(t *testing.T) {
	shape, calls, err := forward.Record(forward.Stories260K(t), 8, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range builtin.All() {
		t.Run(info.Name, func(t *testing.T) {
			usable(t, info)
			conformance.Check(t, conformance.Replay(info.Name, factory(info), shape, calls, conformance.Options{}))
		})
	}
}

// TestReplayQ8 replays eight greedy steps of stories260K in Q8_0 (group
// size 4) on every registered builtin provider: its matmuls are the
// quantized ones, which providers such as swar run and the fp32 replay
// never reaches.
func TestReplayQ8(t *testing.T) {
	shape, calls, err := forward.Record(forward.Stories260KQ8(t), 8, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range builtin.All() {
		t.Run(info.Name, func(t *testing.T) {
			usable(t, info)
			conformance.Check(t, conformance.Replay(info.Name, factory(info), shape, calls, conformance.Options{}))
		})
	}
}
