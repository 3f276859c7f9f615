// Package workpool is a persistent pool of worker goroutines for kernel
// providers that split an op across threads. A token's forward pass makes
// hundreds of small parallel calls (a stories15M matmul is a few
// microseconds in AVX2), so spawning goroutines, allocating, or even
// waking a parked goroutine per call (several microseconds through the
// scheduler and a futex) would cost as much as the work itself.
//
// So workers spin-then-park: a worker that has finished a chunk keeps
// polling for the next one for SpinFor (the gaps between a token's
// matmuls are shorter than that), yielding its thread to other goroutines
// as it polls, and only then parks on a channel, where a call wakes it.
// The caller waits for the other chunks the same way. An idle pool
// therefore costs nothing after SpinFor, and a busy one hands out a chunk
// in well under a microsecond.
//
// Run and RunTask allocate nothing per call provided the work they are
// given does not: pass RunTask a pointer to a struct whose fields are set
// before the call, or pass Run a method value or closure created once
// (at provider Init, say) and reused, never a fresh closure that captures
// per-call variables, which the compiler would allocate on the heap.
//
// A panic in the work does not deadlock the pool: every worker recovers,
// the call waits for all chunks, and then re-panics on the caller's
// goroutine (see PanicError).
package workpool

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// SpinFor is how long an idle worker, or a caller waiting for the other
// chunks, polls before parking. It covers the gaps between the parallel
// calls of one token (other ops, a few to tens of microseconds) so that a
// forward pass never parks, and is short enough that an idle pool stops
// using a core almost at once. Why 200 µs: RATIONALE.md, section
// "AVX2 provider and the worker pool".
const SpinFor = 200 * time.Microsecond

// Pool is a fixed set of worker goroutines; the goroutine calling Run is
// one of them. The zero value is not usable: use New.
type Pool struct {
	size    int
	workers []*worker
	mu      sync.Mutex // serialises Run calls so chunks and results never mix
	closed  atomic.Bool
	closing sync.Once

	// The call in flight: its work split into blocks that every
	// participant takes in turn (next), the workers not yet done, and the
	// first background panic.
	task     Task
	n        int
	blocks   int
	next     atomic.Int64
	pending  atomic.Int32
	panicked atomic.Pointer[PanicError]
	caller   parker // where the caller parks waiting for pending to reach 0
}

// worker is one background goroutine's mailbox: the sequence number that
// announces a call. Padded so that two workers' counters never share a
// cache line.
type worker struct {
	_    [64]byte
	seq  atomic.Uint64 // incremented once per call (and at Close)
	park parker
	_    [64]byte
}

// parker is a spin-then-park wait. A waiter announces it is about to
// sleep (sleeping = 1) and rechecks its condition; a waker changes the
// condition and then takes the flag (1 → 0) and sends the token. Both
// use sequentially consistent atomics, so at least one sees the other: a
// wake-up is never lost, and exactly one party clears the flag.
type parker struct {
	sleeping atomic.Int32
	wake     chan struct{} // buffered 1
}

func newParker() parker { return parker{wake: make(chan struct{}, 1)} }

// wait returns once ready() is true: spinning for SpinFor, yielding the
// thread as it goes, then parking until notify.
func (k *parker) wait(ready func() bool) {
	start := time.Time{}
	for i := 0; ; i++ {
		if ready() {
			return
		}
		if i&63 == 63 {
			if start.IsZero() {
				start = time.Now()
			} else if time.Since(start) > SpinFor {
				break
			}
			runtime.Gosched() // let other goroutines have this thread
		}
	}
	for {
		k.sleeping.Store(1)
		if ready() {
			if k.sleeping.CompareAndSwap(1, 0) {
				return
			}
			<-k.wake // a notify took the flag: its token is on the way
			return
		}
		<-k.wake
		if ready() {
			return
		}
	}
}

// notify wakes the waiter if it is parked (or about to park); call it
// after making its condition true.
func (k *parker) notify() {
	// A plain load first: the waiter polls nearby, and a failed
	// compare-and-swap would still take the line exclusive.
	if k.sleeping.Load() == 1 && k.sleeping.CompareAndSwap(1, 0) {
		k.wake <- struct{}{}
	}
}

// New starts a pool of n workers: n-1 goroutines plus the caller of Run.
// n <= 0 means runtime.GOMAXPROCS(0), the parallelism Go will actually
// give. Call Close when done to stop the goroutines.
func New(n int) *Pool {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	p := &Pool{size: n, workers: make([]*worker, n-1), caller: newParker()}
	for i := range p.workers {
		w := &worker{park: newParker()}
		p.workers[i] = w
		go p.work(w)
	}
	return p
}

// Size returns the number of workers, the caller of Run included; it is
// the most chunks one call is split into.
func (p *Pool) Size() int { return p.size }

// Close stops the background goroutines. It is idempotent. Run after
// Close still works, on the caller's goroutine alone; Close must not run
// concurrently with a Run.
func (p *Pool) Close() {
	p.closing.Do(func() {
		p.closed.Store(true)
		for _, w := range p.workers {
			w.seq.Add(1)
			w.park.notify()
		}
	})
}

// work is a background worker's loop: wait for a call, take its blocks
// until none is left, report, until Close. Like every wait here it spins
// for SpinFor first (after starting too), then parks.
func (p *Pool) work(w *worker) {
	var seen uint64
	for {
		w.park.wait(func() bool { return w.seq.Load() != seen })
		seen = w.seq.Load()
		if p.closed.Load() {
			return
		}
		if perr := p.takeBlocks(); perr != nil {
			p.panicked.CompareAndSwap(nil, perr)
		}
		if p.pending.Add(-1) == 0 {
			p.caller.notify()
		}
	}
}
