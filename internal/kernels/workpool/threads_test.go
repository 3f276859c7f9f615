package workpool

import (
	"sync/atomic"
	"testing"
)

// TestThreads: Own starts a pool of its own at Start, a new one at a
// second Start, and closes it at Stop; Sharing runs on the shared pool
// and leaves it open.
func TestThreads(t *testing.T) {
	shared := New(3)
	defer shared.Close()
	for _, tt := range []struct {
		name       string
		threads    Threads
		size       int
		wantShared bool
	}{
		{"own", Own(2), 2, false},
		{"sharing", Sharing(shared), 3, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			th := tt.threads
			th.Start()
			first := th.pool
			th.Start()
			if th.Size() != tt.size || (th.pool == shared) != tt.wantShared {
				t.Fatalf("size %d, shared %v; want %d, %v", th.Size(), th.pool == shared, tt.size, tt.wantShared)
			}
			if !tt.wantShared && (th.pool == first || !first.closed.Load()) {
				t.Error("a second Start kept or left open the first pool")
			}
			var c counter
			c.hits = make([]atomic.Int32, 10)
			th.RunTask(10, &c)
			for i := range c.hits {
				if c.hits[i].Load() != 1 {
					t.Fatalf("index %d run %d times", i, c.hits[i].Load())
				}
			}
			p := th.pool
			th.Stop()
			if th.pool != nil || p.closed.Load() == tt.wantShared {
				t.Errorf("after Stop: pool %v, closed %v", th.pool, p.closed.Load())
			}
		})
	}
}
