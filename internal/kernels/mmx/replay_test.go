package mmx

import (
	"fmt"
	"testing"

	"github.com/retrollama/retrollama/internal/host/checkpoint"
	"github.com/retrollama/retrollama/internal/host/forward"
	"github.com/retrollama/retrollama/internal/kernels/kerneltest"
	"github.com/retrollama/retrollama/internal/testdata"
	"github.com/retrollama/retrollama/kernels"
	"github.com/retrollama/retrollama/kernels/conformance"
	"github.com/retrollama/retrollama/kernels/scalar"
)

// TestReplayQ8 records eight greedy steps of the real stories260K in
// Q8_0 (runq.c's export, group size 4, from ../shared) on the scalar
// reference, replays them through the conformance suite, and requires
// every Q8_0 matmul's output to have the reference's bits.
func TestReplayQ8(t *testing.T) {
	ck, err := checkpoint.Open(testdata.Path(t, "models", "stories260K_q80_gs4.bin"))
	kerneltest.Must(t, err)
	defer ck.Close()
	shape, calls, err := forward.Record(ck, 8, 0)
	kerneltest.Must(t, err)
	conformance.Check(t, conformance.Replay("mmx", func() kernels.Provider { return New() }, shape, calls, conformance.Options{}))

	ref, p := kerneltest.Initialised(t, scalar.New(), shape), kerneltest.Initialised(t, New(), shape)
	n := 0
	for i, c := range calls {
		if c.Op != kernels.MatMul || c.Weight.DType != kernels.Q8_0 {
			continue
		}
		check(t, fmt.Sprintf("call %d %s %s", i, c.Case, c.Weight.Name), ref, p, c.Weight, c.X)
		n++
	}
	if n == 0 {
		t.Fatal("no q8_0 matmul recorded")
	}
	t.Logf("%d q8_0 matmuls of stories260K identical to the reference", n)
}
