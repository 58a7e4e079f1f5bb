package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// maxBatch bounds how many write requests share one database transaction.
const maxBatch = 256

var errClosed = errors.New("sqlstore: database is closed")

// writer owns the write path. Concurrent update calls queue here; the loop
// takes every request waiting, runs them in one transaction, each inside a
// savepoint so a failing request rolls back alone, and commits once. Callers
// are answered only after the commit, so an acknowledged write is durable.
type writer struct {
	db *sql.DB
	// prepared holds statements prepared on the writer's connection
	// between transactions, reused by every later transaction (only the
	// writer goroutine touches it).
	prepared map[string]*sql.Stmt
	dialect  dialect
	// combine, if set, applies the fast transfers of a pass in one go,
	// before the requests' functions run.
	combine func(ctx context.Context, q queryer, ops []*fastTransfer) error
	log     *slog.Logger
	reqs    chan *writeReq
	quit    chan struct{}
	done    chan struct{}
	once    sync.Once
	stats   writerStats
}

// writerStats counts what the writer did since it started.
type writerStats struct {
	commits  atomic.Int64 // transactions committed
	requests atomic.Int64 // requests answered by those commits
	reruns   atomic.Int64 // passes that rolled back to guard a failed request
	combined atomic.Int64 // fast transfers committed by a combined statement
}

type writeReq struct {
	ctx  context.Context
	fast *fastTransfer // optional: see (*writer).combine
	fn   func(*txn) error
	err  chan error
}

func newWriter(db *sql.DB, d dialect, log *slog.Logger, combine func(context.Context, queryer, []*fastTransfer) error) *writer {
	w := &writer{
		db:       db,
		combine:  combine,
		prepared: make(map[string]*sql.Stmt),
		dialect:  d,
		log:      log,
		reqs:     make(chan *writeReq, maxBatch),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	go w.loop()
	return w
}

// do queues fn and waits for its outcome. Once queued, it always waits for
// the answer even if ctx ends: returning early could report failure for a
// write that then commits.
func (w *writer) do(ctx context.Context, fast *fastTransfer, fn func(*txn) error) error {
	for attempt := 1; ; attempt++ {
		req := &writeReq{ctx: ctx, fast: fast, fn: fn, err: make(chan error, 1)}
		select {
		case w.reqs <- req:
		case <-ctx.Done():
			return ctx.Err()
		case <-w.quit:
			return errClosed
		}
		err := <-req.err
		// A deadlock victim was rolled back to its savepoint (or with its
		// whole transaction): it had no effect and can simply run again.
		if err == nil || !isRetryable(err) || attempt == maxAttempts {
			return err
		}
	}
}

// maxAttempts bounds how often a write that lost a deadlock is retried.
const maxAttempts = 5

func (w *writer) close() {
	w.once.Do(func() { close(w.quit) })
	<-w.done
}

func (w *writer) loop() {
	defer close(w.done)
	batch := make([]*writeReq, 0, maxBatch)
	for {
		select {
		case req := <-w.reqs:
			batch = append(batch[:0], req)
			// Callers answered by the previous batch are about to send
			// their next request: yielding once lets them join this batch
			// instead of paying for a commit of their own.
			runtime.Gosched()
		case <-w.quit:
			w.drain()
			for _, st := range w.prepared {
				st.Close()
			}
			return
		}
		batch = w.run(w.fill(batch))
		clear(batch)
	}
}

// fill adds the requests waiting, up to maxBatch, without blocking.
func (w *writer) fill(batch []*writeReq) []*writeReq {
	for len(batch) < maxBatch {
		select {
		case req := <-w.reqs:
			batch = append(batch, req)
		default:
			return batch
		}
	}
	return batch
}

// drain answers requests that raced with close.
func (w *writer) drain() {
	for {
		select {
		case req := <-w.reqs:
			req.err <- errClosed
		default:
			return
		}
	}
}

// run executes one batch in one transaction and answers every request.
//
// Most requests succeed, so a batch first runs bare: one statement after
// another, no savepoints (on PostgreSQL each savepoint is two more round
// trips made while the batch holds its rows' locks), and its fast
// transfers combined. When a request fails, the transaction is rolled
// back, as its failure may have left partial effects, and the batch runs
// again with that request inside a savepoint, so it rolls back alone.
// After maxPasses-1 such failures every request of the batch gets a
// savepoint. Callers are answered once, after the pass that commits.
// The first pass may take in more requests (see pass); run returns the
// batch it answered.
func (w *writer) run(batch []*writeReq) []*writeReq {
	guard := make([]bool, len(batch))
	combine := w.combine != nil
	for pass := 1; ; pass++ {
		if pass == maxPasses {
			for i := range guard {
				guard[i] = true
			}
		}
		var errs []error
		var failed int
		var err error
		batch, errs, failed, err = w.pass(batch, guard, combine, pass == 1)
		guard = append(guard, make([]bool, len(batch)-len(guard))...)
		switch {
		case errors.Is(err, errCombine):
			// The combined statement failed: the requests go one by one.
			combine = false
			w.log.Warn("combined transfers failed; running them one by one", "err", err)
			continue
		case failed >= 0:
			guard[failed] = true
			w.stats.reruns.Add(1)
			continue
		}
		for i, r := range batch {
			if errs[i] == nil {
				errs[i] = err
			}
			r.err <- errs[i]
		}
		return batch
	}
}

// maxPasses bounds how often one batch runs: its last pass guards every
// request with a savepoint, and so always ends.
const maxPasses = 3

// errCombine marks a failure of the combined fast transfers (or of the
// partner locks taken for them): nothing of the pass is kept.
var errCombine = errors.New("combined transfers")

// pass runs the batch once, in one transaction, with a savepoint around
// each guarded request. It returns each request's outcome and -1 once the
// transaction has ended (err is then a failure of the transaction itself,
// for every request that did not fail alone), or the index of an unguarded
// request that failed, after rolling everything back.
//
// With grow, a pass with fast transfers first locks their partners'
// wallets (the dialect's lockPartnerWallets), which waits while another
// instance's batch holds one, and then takes in the requests that arrived
// meanwhile: under contention batches grow instead of queueing for one
// commit each. It returns the batch it ran.
func (w *writer) pass(batch []*writeReq, guard []bool, combine, grow bool) (_ []*writeReq, errs []error, failed int, err error) {
	sqlTx, err := w.db.BeginTx(context.Background(), nil)
	if err != nil {
		return batch, make([]error, len(batch)), -1, fmt.Errorf("begin: %w", err)
	}
	tx := &txn{Tx: sqlTx, dialect: w.dialect, prepared: w.prepared, ctx: context.Background()}
	defer w.prepareMissing(tx)
	defer tx.closeStmts()
	if combine && grow && w.dialect.lockPartnerWallets != "" {
		var ids []string
		for _, r := range batch {
			if r.fast != nil && !slices.Contains(ids, r.fast.partnerID) {
				ids = append(ids, r.fast.partnerID)
			}
		}
		if len(ids) > 0 {
			slices.Sort(ids) // one lock order for every instance
			if _, err := tx.ExecContext(tx.ctx, w.dialect.lockPartnerWallets, ids); err != nil {
				sqlTx.Rollback()
				return batch, make([]error, len(batch)), -1, fmt.Errorf("%w: lock partners: %w", errCombine, err)
			}
			batch = w.fill(batch)
			guard = append(guard, make([]bool, len(batch)-len(guard))...)
		}
	}
	errs = make([]error, len(batch))
	abort := func(what string, err error) ([]*writeReq, []error, int, error) {
		sqlTx.Rollback()
		return batch, errs, -1, fmt.Errorf("%s: %w", what, err)
	}
	single := len(batch) == 1 // its transaction is its savepoint
	var fast []*fastTransfer
	for i, r := range batch {
		if r.fast == nil {
			continue
		}
		r.fast.applied = false // an earlier pass's outcome was rolled back
		// A guarded request runs alone, so its savepoint holds all of it.
		if combine && !guard[i] && r.ctx.Err() == nil {
			fast = append(fast, r.fast)
		}
	}
	if len(fast) > 0 {
		if err := w.combine(tx.ctx, tx, fast); err != nil {
			sqlTx.Rollback()
			return batch, errs, -1, fmt.Errorf("%w: %w", errCombine, err)
		}
	}
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil && (r.fast == nil || !r.fast.applied) {
			errs[i] = err
			continue
		}
		// The request's own deadline must not abort a statement half-way
		// through a shared transaction.
		ctx := context.WithoutCancel(r.ctx)
		tx.ctx = ctx
		// A fast transfer the combined statement left alone is likely to
		// be refused: it gets a savepoint at once instead of a rerun.
		leftAlone := len(fast) > 0 && r.fast != nil && !r.fast.applied
		if single || !(guard[i] || leftAlone) {
			errs[i] = runSafely(tx, r.fn)
			if errs[i] != nil && !single {
				sqlTx.Rollback()
				return batch, nil, i, nil
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT w"); err != nil {
			return abort("savepoint", err)
		}
		if errs[i] = runSafely(tx, r.fn); errs[i] != nil {
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT w"); err != nil {
				return abort("rollback to savepoint", err)
			}
		}
		if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT w"); err != nil {
			return abort("release savepoint", err)
		}
	}
	if single && errs[0] != nil {
		sqlTx.Rollback()
		return batch, errs, -1, nil
	}
	if err := sqlTx.Commit(); err != nil {
		return batch, errs, -1, fmt.Errorf("commit: %w", err)
	}
	w.stats.commits.Add(1)
	w.stats.requests.Add(int64(len(batch)))
	for _, f := range fast {
		if f.applied {
			w.stats.combined.Add(1)
		}
	}
	return batch, errs, -1, nil
}

// runSafely turns a panic in fn into an error, so one bad request cannot
// take down the writer and its batch.
func runSafely(tx *txn, fn func(*txn) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in write transaction: %v", p)
		}
	}()
	return fn(tx)
}

// txn is a write transaction. The writer's one connection is busy inside
// it, so a statement seen for the first time is prepared on the
// transaction (and reused by the rest of the batch), then prepared on the
// connection once the transaction ends, for every later batch to reuse.
type txn struct {
	*sql.Tx
	ctx      context.Context
	dialect  dialect
	prepared map[string]*sql.Stmt
	stmts    map[string]*sql.Stmt
	missing  []string
}

func (t *txn) stmt(query string) (*sql.Stmt, error) {
	if !t.dialect.prepareInTx {
		return nil, nil
	}
	if st, ok := t.stmts[query]; ok {
		return st, nil
	}
	var st *sql.Stmt
	if ps, ok := t.prepared[query]; ok {
		// Already prepared on this connection: database/sql reuses it.
		st = t.StmtContext(t.ctx, ps)
	} else {
		var err error
		if st, err = t.PrepareContext(t.ctx, t.dialect.rebind(query)); err != nil {
			return nil, err
		}
		t.missing = append(t.missing, query)
	}
	if t.stmts == nil {
		t.stmts = make(map[string]*sql.Stmt)
	}
	t.stmts[query] = st
	return st, nil
}

func (t *txn) exec(query string, args ...any) (sql.Result, error) {
	st, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return t.ExecContext(t.ctx, t.dialect.rebind(query), args...)
	}
	return st.ExecContext(t.ctx, args...)
}

func (t *txn) queryRow(query string, args ...any) *sql.Row {
	st, err := t.stmt(query)
	if err != nil || st == nil {
		return t.QueryRowContext(t.ctx, t.dialect.rebind(query), args...)
	}
	return st.QueryRowContext(t.ctx, args...)
}

// prepareMissing prepares, on the now idle connection, the statements the
// finished transaction had to prepare for itself.
func (w *writer) prepareMissing(t *txn) {
	for _, q := range t.missing {
		if _, ok := w.prepared[q]; ok {
			continue
		}
		st, err := w.db.PrepareContext(context.Background(), w.dialect.rebind(q))
		if err != nil {
			continue // prepared per transaction again next time
		}
		w.prepared[q] = st
	}
}

func (t *txn) closeStmts() {
	for _, st := range t.stmts {
		st.Close()
	}
}
