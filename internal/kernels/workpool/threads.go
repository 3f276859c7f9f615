package workpool

// Threads is the pool a provider splits its large ops over, as it holds
// it: made with a thread count (Own) or the dispatch table's shared pool
// (Sharing), started at the provider's Init and stopped at its Close. It
// is the one copy of the pool handling that every pooled provider's
// constructors, Init and Close would otherwise repeat. The zero value is
// Own(0).
type Threads struct {
	n      int   // as New: <= 0 is runtime.GOMAXPROCS(0)
	shared *Pool // the table's pool, which its owner closes; nil: own
	pool   *Pool // the running pool, between Start and Stop
}

// Own returns Threads that start a pool of their own of n workers (<= 0:
// runtime.GOMAXPROCS(0), as New), and close it at Stop.
func Own(n int) Threads { return Threads{n: n} }

// Sharing returns Threads that run on pool, which its caller owns and
// closes (see Start).
func Sharing(pool *Pool) Threads { return Threads{n: pool.Size(), shared: pool} }

// Start stops a pool already running (a second Init starts afresh) and
// starts the pool, or takes the shared one.
func (t *Threads) Start() {
	t.Stop()
	t.pool = Start(t.shared, t.n)
}

// Stop closes the pool unless it is shared; Size and RunTask must not be
// called again before Start.
func (t *Threads) Stop() {
	Stop(t.pool, t.shared)
	t.pool = nil
}

// Size is the running pool's Size.
func (t *Threads) Size() int { return t.pool.Size() }

// RunTask is the running pool's RunTask.
func (t *Threads) RunTask(n int, task Task) { t.pool.RunTask(n, task) }
