package sqlstore

import "sync"

// sharedReader gathers concurrent reads of one kind into shared queries,
// as AccountBalance does on PostgreSQL (see balance.go for the measured
// reason: there one round trip per call costs more than the rest of the
// request). A call that finds fewer than maxQueries queries running runs
// one at once for itself and every call waiting; otherwise it waits for
// the next. Every query starts after the calls it answers arrived, so an
// answer is never older than its call: nothing is cached.
type sharedReader[V any] struct {
	// setup sets the three fields below before the first read.
	setup sync.Once
	// query reads the rows of up to batch keys; a key without a row is
	// absent from the map.
	query      func(keys []string) (map[string]V, error)
	batch      int
	maxQueries int

	mu      sync.Mutex
	waiting []*sharedCall[V]
	running int
}

// sharedCall is one read and, once done is closed, its answer.
type sharedCall[V any] struct {
	key   string
	value V
	found bool
	err   error
	done  chan struct{}
}

// read returns the value of key, and whether it has one.
func (r *sharedReader[V]) read(key string) (V, bool, error) {
	c := &sharedCall[V]{key: key, done: make(chan struct{})}
	r.mu.Lock()
	r.waiting = append(r.waiting, c)
	if r.running < r.maxQueries {
		r.running++
		calls := r.take()
		r.mu.Unlock()
		r.serve(calls)
	} else {
		r.mu.Unlock()
	}
	// A query is a few index lookups: waiting for it is not worth a
	// cancellation path.
	<-c.done
	return c.value, c.found, c.err
}

// take returns the waiting calls; r.mu is held.
func (r *sharedReader[V]) take() []*sharedCall[V] {
	calls := r.waiting
	r.waiting = nil
	return calls
}

// serve answers calls, then hands the calls that arrived meanwhile to a
// new goroutine (so that the caller's own request is not held up serving
// others), or ends.
func (r *sharedReader[V]) serve(calls []*sharedCall[V]) {
	for len(calls) > 0 {
		n := min(len(calls), r.batch)
		r.answer(calls[:n])
		calls = calls[n:]
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.waiting) == 0 {
		r.running--
		return
	}
	go r.serve(r.take())
}

// answer runs one query for up to batch calls.
func (r *sharedReader[V]) answer(calls []*sharedCall[V]) {
	keys := make([]string, len(calls))
	for i, c := range calls {
		keys[i] = c.key
	}
	found, err := r.query(keys)
	for _, c := range calls {
		c.value, c.found = found[c.key]
		c.err = err
		close(c.done)
	}
}
