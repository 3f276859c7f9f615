package workpool

// Task is work that can be split by index range. Do handles the indices
// [lo, hi); calls for disjoint ranges run concurrently. Implement it on a
// pointer to a struct prepared before the call so that RunTask allocates
// nothing.
type Task interface {
	Do(lo, hi int)
}

// funcTask adapts a function to Task. A func value is pointer-shaped, so
// the conversion to an interface does not allocate.
type funcTask func(lo, hi int)

// Do implements Task.
func (f funcTask) Do(lo, hi int) { f(lo, hi) }

// Run calls fn over [0, n) split into contiguous non-empty chunks, one per
// worker (fewer when n < Size()), in parallel, and returns when every chunk
// is done. fn should be a method value or closure made once and reused:
// fn escapes, so a closure built per call is allocated per call. If fn
// panics, Run panics on the caller's goroutine once all chunks are done
// (see RunTask).
func (p *Pool) Run(n int, fn func(lo, hi int)) { p.RunTask(n, funcTask(fn)) }

// RunTask calls t.Do over [0, n) split into contiguous non-empty chunks,
// one per worker (fewer when n < Size()); the caller's goroutine runs the
// first chunk itself. It returns when every chunk is done and allocates
// nothing. Calls from several goroutines are serialised.
//
// A panic in a chunk never leaves the pool waiting: if the caller's own
// chunk panics, that panic propagates unchanged after the other chunks
// finish; if a background chunk panics, RunTask panics with a *PanicError
// holding the value and the worker's stack. The pool stays usable.
func (p *Pool) RunTask(n int, t Task) {
	if n <= 0 {
		return
	}
	k := min(p.size, n)
	if k == 1 || p.closed.Load() {
		t.Do(0, n)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.task = t
	p.panicked.Store(nil)
	p.pending.Store(int32(k - 1))
	for i := 1; i < k; i++ {
		w := p.workers[i-1]
		w.lo, w.hi = chunk(i, k, n)
		w.seq.Add(1) // publishes task, lo and hi
		w.park.notify()
	}
	finished := false
	defer func() {
		if !finished { // our own chunk panicked: wait, then let it propagate
			p.wait()
		}
	}()
	_, hi := chunk(0, k, n)
	t.Do(0, hi)
	finished = true
	p.wait()
	if perr := p.panicked.Load(); perr != nil {
		panic(perr)
	}
}

// wait returns when every background chunk of the call is done, and
// clears the call's task so the pool keeps no reference to it.
func (p *Pool) wait() {
	p.caller.wait(p.done)
	p.task = nil
}

// done reports whether every background chunk of the call has finished;
// a method value made once per call site, cheaper than a closure.
func (p *Pool) done() bool { return p.pending.Load() == 0 }

// chunk returns the bounds of chunk i of k over [0, n): sizes differ by at
// most one, the larger ones first. Written without i·n so it cannot
// overflow.
func chunk(i, k, n int) (lo, hi int) {
	q, r := n/k, n%k
	lo = i*q + min(i, r)
	hi = lo + q
	if i < r {
		hi++
	}
	return lo, hi
}
