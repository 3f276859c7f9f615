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

// Run calls fn over [0, n) split into contiguous non-empty blocks (see
// RunTask), in parallel, and returns when every block is done. fn should be a method value or closure made once and reused:
// fn escapes, so a closure built per call is allocated per call. If fn
// panics, Run panics on the caller's goroutine once all chunks are done
// (see RunTask).
func (p *Pool) Run(n int, fn func(lo, hi int)) { p.RunTask(n, funcTask(fn)) }

// RunTask calls t.Do over [0, n) split into contiguous non-empty blocks
// (see blocksFor: one per worker when n is small) that the workers,
// the caller's goroutine among them, take as each comes free, in
// parallel. It returns when every block is done and allocates nothing.
// Calls from several goroutines are serialised. Which worker runs which
// block varies from call to call, so t must give the same result for an
// index whatever range it is handed with.
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
	p.task, p.n, p.blocks = t, n, blocksFor(n, k)
	p.next.Store(0)
	p.panicked.Store(nil)
	p.pending.Store(int32(k - 1))
	for _, w := range p.workers[:k-1] {
		w.seq.Add(1) // publishes the call
		w.park.notify()
	}
	finished := false
	defer func() {
		if !finished { // our own block panicked: wait, then let it propagate
			p.wait()
		}
	}()
	for {
		b := int(p.next.Add(1) - 1)
		if b >= p.blocks {
			break
		}
		lo, hi := chunk(b, p.blocks, n)
		t.Do(lo, hi)
	}
	finished = true
	p.wait()
	if perr := p.panicked.Load(); perr != nil {
		panic(perr)
	}
}

// blocksPerWorker is how many blocks a call is cut into per participant.
// Participants take blocks as they come free, so a worker that starts
// late or runs on a busier core does less, and the caller does not wait
// for it; a few blocks each keep the shared counter's traffic (one
// cross-core cache-line trip per block) small against the work.
const blocksPerWorker = 4

// takeBlocks runs blocks of the call in flight until none is left, on a
// background worker; a panic in one ends its share and is returned.
func (p *Pool) takeBlocks() (perr *PanicError) {
	for {
		b := int(p.next.Add(1) - 1)
		if b >= p.blocks {
			return nil
		}
		lo, hi := chunk(b, p.blocks, p.n)
		if perr := runChunk(p.task, lo, hi); perr != nil {
			return perr
		}
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

// blocksFor is how many blocks a call over n indices is cut into for k
// participants (k <= n): one each when n is below staticBelow,
// blocksPerWorker each otherwise.
func blocksFor(n, k int) int {
	if n < staticBelow {
		return k
	}
	return min(n, k*blocksPerWorker)
}

// staticBelow is the number of indices under which a call is cut into one
// block per participant. A small call (a stories15M layer's matmul: 18 to
// 48 units of rows, a few microseconds) loses more to the shared
// counter's cache-line trips (one per block, each way) than balancing
// wins back. Large calls (the classifier's 1,000-2,000 units) still
// balance. Why 128: RATIONALE.md, section "AVX2 provider and the worker pool".
const staticBelow = 128
