// Package workpool is a persistent pool of worker goroutines for kernel
// providers that split an op across threads. A token's forward pass makes
// hundreds of small parallel calls (a stories15M matmul is tens of
// microseconds), so spawning goroutines or allocating per call would cost
// as much as the work itself; the pool starts its goroutines once, and a
// call only hands each of them a chunk over a channel made at New.
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
)

// Pool is a fixed set of worker goroutines; the goroutine calling Run is
// one of them. The zero value is not usable: use New.
type Pool struct {
	size    int
	start   []chan span      // one per background worker, buffered 1
	done    chan *PanicError // results of background chunks, buffered size-1
	mu      sync.Mutex       // serialises Run calls so chunks and results never mix
	closed  atomic.Bool
	closing sync.Once
}

// span is one chunk of work handed to a background worker.
type span struct {
	task   Task
	lo, hi int
}

// New starts a pool of n workers: n-1 goroutines plus the caller of Run.
// n <= 0 means runtime.GOMAXPROCS(0), the parallelism Go will actually
// give. Call Close when done to stop the goroutines.
func New(n int) *Pool {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	p := &Pool{
		size:  n,
		start: make([]chan span, n-1),
		done:  make(chan *PanicError, n-1),
	}
	for i := range p.start {
		p.start[i] = make(chan span, 1)
		go p.work(p.start[i])
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
		for _, c := range p.start {
			close(c)
		}
	})
}

// work is a background worker's loop: run each chunk it is handed and
// report how it ended, until Close closes its channel.
func (p *Pool) work(start <-chan span) {
	for s := range start {
		p.done <- runChunk(s.task, s.lo, s.hi)
	}
}
