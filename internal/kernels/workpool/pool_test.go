package workpool

import (
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// counter records how often each index is visited.
type counter struct{ hits []atomic.Int32 }

func (c *counter) Do(lo, hi int) {
	if lo >= hi {
		panic(fmt.Sprintf("empty chunk [%d,%d)", lo, hi))
	}
	for i := lo; i < hi; i++ {
		c.hits[i].Add(1)
	}
}

func TestRunVisitsEveryIndexOnce(t *testing.T) {
	for _, size := range []int{1, 2, 3, 8} {
		p := New(size)
		defer p.Close()
		if p.Size() != size {
			t.Fatalf("Size() = %d, want %d", p.Size(), size)
		}
		for _, n := range []int{0, 1, 2, 3, 7, 1000} {
			for _, useRun := range []bool{false, true} {
				t.Run(fmt.Sprintf("size%d/n%d/run%v", size, n, useRun), func(t *testing.T) {
					c := &counter{hits: make([]atomic.Int32, n)}
					if useRun {
						p.Run(n, c.Do)
					} else {
						p.RunTask(n, c)
					}
					for i := range c.hits {
						if got := c.hits[i].Load(); got != 1 {
							t.Fatalf("index %d visited %d times", i, got)
						}
					}
				})
			}
		}
	}
}

func TestChunk(t *testing.T) {
	tests := []struct {
		i, k, n, lo, hi int
	}{
		{0, 1, 5, 0, 5},
		{0, 3, 7, 0, 3},
		{1, 3, 7, 3, 5},
		{2, 3, 7, 5, 7},
		{2, 3, 3, 2, 3},
	}
	for _, tc := range tests {
		if lo, hi := chunk(tc.i, tc.k, tc.n); lo != tc.lo || hi != tc.hi {
			t.Errorf("chunk(%d,%d,%d) = [%d,%d), want [%d,%d)", tc.i, tc.k, tc.n, lo, hi, tc.lo, tc.hi)
		}
	}
}

func TestDefaultSize(t *testing.T) {
	p := New(0)
	defer p.Close()
	if p.Size() < 1 {
		t.Fatalf("New(0).Size() = %d", p.Size())
	}
}

// sum is a zero-allocation task: it adds its range into per-chunk slots.
type sum struct{ total atomic.Int64 }

func (s *sum) Do(lo, hi int) { s.total.Add(int64(hi - lo)) }

func TestRunDoesNotAllocate(t *testing.T) {
	for _, size := range []int{1, 2, 3, 8} {
		p := New(size)
		s := &sum{}
		fn := s.Do // a method value made once, as the package doc asks
		if got := testing.AllocsPerRun(200, func() { p.RunTask(1000, s) }); got != 0 {
			t.Errorf("size %d: RunTask allocates %v times per call", size, got)
		}
		if got := testing.AllocsPerRun(200, func() { p.Run(1000, fn) }); got != 0 {
			t.Errorf("size %d: Run allocates %v times per call", size, got)
		}
		p.Close()
	}
}

func TestCloseIdempotentAndRunAfterClose(t *testing.T) {
	p := New(3)
	p.Close()
	p.Close()
	c := &counter{hits: make([]atomic.Int32, 10)}
	p.RunTask(10, c) // runs on the caller alone
	for i := range c.hits {
		if c.hits[i].Load() != 1 {
			t.Fatalf("index %d visited %d times after Close", i, c.hits[i].Load())
		}
	}
}

// panicker panics in every block run on a goroutine other than caller's
// (onWorker) or on the caller's (!onWorker), each block taking a
// millisecond so that every participant gets some.
type panicker struct {
	caller   uint64
	onWorker bool
}

var errBoom = errors.New("boom")

func (p *panicker) Do(lo, hi int) {
	time.Sleep(time.Millisecond)
	if (goid() != p.caller) == p.onWorker {
		panic(errBoom)
	}
}

// goid returns the current goroutine's id, read from its stack header
// ("goroutine 7 [running]:"); for tests only.
func goid() uint64 {
	var buf [32]byte
	n := runtime.Stack(buf[:], false)
	f := strings.Fields(string(buf[:n]))
	id, _ := strconv.ParseUint(f[1], 10, 64)
	return id
}

// TestPanicDoesNotDeadlock: a panic on the caller's goroutine propagates
// unchanged, one on a worker as a *PanicError with its value and stack,
// only after every block is done; and the pool stays usable.
func TestPanicDoesNotDeadlock(t *testing.T) {
	for _, onWorker := range []bool{false, true} {
		t.Run(fmt.Sprint("on worker ", onWorker), func(t *testing.T) {
			p := New(3)
			defer p.Close()
			for range 3 {
				r := catch(func() { p.RunTask(100, &panicker{caller: goid(), onWorker: onWorker}) })
				if r == nil {
					t.Fatal("no panic")
				}
				perr, isPErr := r.(*PanicError)
				if isPErr != onWorker {
					t.Fatalf("panic value %T, want *PanicError = %v", r, onWorker)
				}
				if isPErr && (!errors.Is(perr, errBoom) || len(perr.Stack) == 0) {
					t.Fatalf("PanicError %v lost the value or the stack", perr.Value)
				}
				if !isPErr && r != errBoom {
					t.Fatalf("caller's panic value %v changed", r)
				}
				c := &counter{hits: make([]atomic.Int32, 100)}
				p.RunTask(100, c)
				for i := range c.hits {
					if c.hits[i].Load() != 1 {
						t.Fatalf("after panic: index %d visited %d times", i, c.hits[i].Load())
					}
				}
			}
		})
	}
}

func catch(f func()) (r any) {
	defer func() { r = recover() }()
	f()
	return nil
}

func TestConcurrentCallersAreSerialised(t *testing.T) {
	p := New(3)
	defer p.Close()
	const callers, n = 4, 500
	done := make(chan *counter, callers)
	for range callers {
		go func() {
			c := &counter{hits: make([]atomic.Int32, n)}
			for range 50 {
				p.RunTask(n, c)
			}
			done <- c
		}()
	}
	for range callers {
		c := <-done
		for i := range c.hits {
			if c.hits[i].Load() != 50 {
				t.Fatalf("index %d visited %d times, want 50", i, c.hits[i].Load())
			}
		}
	}
}

func BenchmarkRunTask(b *testing.B) {
	for _, size := range []int{1, 2, 4} {
		b.Run(fmt.Sprint("size", size), func(b *testing.B) {
			p := New(size)
			defer p.Close()
			s := &sum{}
			for b.Loop() {
				p.RunTask(288, s)
			}
		})
	}
}

// TestParkedWorkersWake: calls separated by more than SpinFor find the
// workers parked and must wake them; calls in quick succession find them
// spinning. Both must visit every index once.
func TestParkedWorkersWake(t *testing.T) {
	for _, size := range []int{2, 3} {
		p := New(size)
		for i := range 12 {
			if i%3 == 0 {
				time.Sleep(3 * SpinFor)
			}
			c := &counter{hits: make([]atomic.Int32, 50)}
			p.RunTask(50, c)
			for j := range c.hits {
				if got := c.hits[j].Load(); got != 1 {
					t.Fatalf("size %d call %d: index %d visited %d times", size, i, j, got)
				}
			}
		}
		p.Close()
	}
}

// TestIdlePoolParks: an idle pool stops spinning, so it uses (almost) no
// CPU: over 200 ms of idleness after a call, a worker that never parked
// would use ~200 ms; the bound allows its SpinFor and scheduling noise.
func TestIdlePoolParks(t *testing.T) {
	p := New(3)
	defer p.Close()
	p.RunTask(100, &sum{})
	before := cpuTime(t)
	time.Sleep(200 * time.Millisecond)
	if used := cpuTime(t) - before; used > 60*time.Millisecond {
		t.Fatalf("an idle pool used %v of CPU in 200 ms", used)
	}
}

func cpuTime(t *testing.T) time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		t.Skip("getrusage: ", err)
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// ranges records the ranges a call was cut into.
type ranges struct {
	mu  sync.Mutex
	got [][2]int
}

func (r *ranges) Do(lo, hi int) {
	r.mu.Lock()
	r.got = append(r.got, [2]int{lo, hi})
	r.mu.Unlock()
}

// TestBlocks checks how a call is cut: a small one into one block per
// participant, so the shared counter is touched least; a large one into
// blocksPerWorker each, taken as participants come free.
func TestBlocks(t *testing.T) {
	cases := []struct{ size, n, blocks int }{
		{2, 1, 1},
		{2, 18, 2}, // a 288-row Q8_0 matmul: 18 units of 16 rows
		{3, 10, 3},
		{2, staticBelow - 1, 2},
		{2, staticBelow, 2 * blocksPerWorker},
		{2, 2000, 2 * blocksPerWorker}, // the classifier
		{4, 5, 4},
	}
	for _, c := range cases {
		p := New(c.size)
		var r ranges
		p.RunTask(c.n, &r)
		p.Close()
		if len(r.got) != c.blocks {
			t.Errorf("size %d, n %d: %d blocks %v, want %d", c.size, c.n, len(r.got), r.got, c.blocks)
		}
	}
}

// TestStartStop checks that a provider given its table's pool uses it and
// leaves it running, and that one given none starts and stops its own.
func TestStartStop(t *testing.T) {
	shared := New(2)
	defer shared.Close()
	if p := Start(shared, 5); p != shared {
		t.Errorf("Start(shared, 5) did not return the shared pool")
	}
	Stop(shared, shared)
	if shared.closed.Load() {
		t.Errorf("Stop closed a shared pool")
	}
	own := Start(nil, 3)
	if own == shared || own.Size() != 3 {
		t.Fatalf("Start(nil, 3): size %d, shared %v", own.Size(), own == shared)
	}
	Stop(own, nil)
	if !own.closed.Load() {
		t.Errorf("Stop did not close the provider's own pool")
	}
	Stop(nil, shared) // nothing started: no panic
}
