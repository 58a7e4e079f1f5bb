package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
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
	log      *slog.Logger
	reqs     chan *writeReq
	quit     chan struct{}
	done     chan struct{}
	once     sync.Once
}

type writeReq struct {
	ctx context.Context
	fn  func(*txn) error
	err chan error
}

func newWriter(db *sql.DB, d dialect, log *slog.Logger) *writer {
	w := &writer{
		db:       db,
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
func (w *writer) do(ctx context.Context, fn func(*txn) error) error {
	for attempt := 1; ; attempt++ {
		req := &writeReq{ctx: ctx, fn: fn, err: make(chan error, 1)}
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
	fill:
		for len(batch) < maxBatch {
			select {
			case req := <-w.reqs:
				batch = append(batch, req)
			default:
				break fill
			}
		}
		w.run(batch)
		clear(batch)
	}
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
func (w *writer) run(batch []*writeReq) {
	errs := make([]error, len(batch))
	fail := func(err error) {
		for _, r := range batch {
			r.err <- err
		}
	}
	sqlTx, err := w.db.BeginTx(context.Background(), nil)
	if err != nil {
		fail(fmt.Errorf("begin: %w", err))
		return
	}
	tx := &txn{Tx: sqlTx, dialect: w.dialect, prepared: w.prepared}
	defer w.prepareMissing(tx)
	defer tx.closeStmts()
	single := len(batch) == 1
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		// The request's own deadline must not abort a statement half-way
		// through a shared transaction.
		ctx := context.WithoutCancel(r.ctx)
		tx.ctx = ctx
		if single {
			errs[i] = runSafely(tx, r.fn)
			continue
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT w"); err != nil {
			sqlTx.Rollback()
			fail(fmt.Errorf("savepoint: %w", err))
			return
		}
		if errs[i] = runSafely(tx, r.fn); errs[i] != nil {
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT w"); err != nil {
				sqlTx.Rollback()
				fail(fmt.Errorf("rollback to savepoint: %w", err))
				return
			}
		}
		if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT w"); err != nil {
			sqlTx.Rollback()
			fail(fmt.Errorf("release savepoint: %w", err))
			return
		}
	}
	if single && errs[0] != nil {
		sqlTx.Rollback()
		batch[0].err <- errs[0]
		return
	}
	if err := sqlTx.Commit(); err != nil {
		err = fmt.Errorf("commit: %w", err)
		for i, r := range batch {
			if errs[i] == nil {
				errs[i] = err
			}
			r.err <- errs[i]
		}
		return
	}
	for i, r := range batch {
		r.err <- errs[i]
	}
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
