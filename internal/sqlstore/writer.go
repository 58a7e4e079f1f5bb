package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/partnerd/partnerd"
)

// maxBatch bounds how many write requests share one database transaction.
const maxBatch = 256

var errClosed = errors.New("sqlstore: database is closed")

// op is one write. The writer runs it in a transaction shared with the
// other writes of its batch, inside a savepoint of its own when it must be
// able to fail alone. Every store write is an op (see (*DB).do), so each
// gets batching, idempotency completion and the writer's retries without
// remembering a step.
type op interface {
	// apply makes the write in tx and returns its result: the value the
	// request's response, and so its stored idempotent response, is
	// rendered from. It may run more than once (a pass that is rolled back
	// is run again), so it must not keep state from an earlier run.
	apply(tx *txn) (any, error)
}

// batchOp is an op that the writer may apply together with others of its
// kind in one statement, before the batch's ops run (on PostgreSQL each
// statement is a round trip made while the batch holds its rows' locks).
type batchOp interface {
	op
	// combiner applies ops of this kind together, or is nil when the
	// engine has no combined statement for them. Ops whose combiners are
	// equal go to one call.
	combiner() combiner
	// lockKeys are the wallets the op will lock, as far as it can name
	// them before it runs. On engines with row locks the writer locks
	// those of its batch first, in one sorted statement (one lock order
	// for every instance), and then takes in the requests that arrived
	// while it waited, if their wallets can be locked at once.
	lockKeys() []string
	// combined reports whether the combiner applied the op in this pass;
	// apply then only reports the outcome. setCombined(false) forgets an
	// earlier pass, which was rolled back.
	combined() bool
	setCombined(bool)
}

// combiner applies several ops of one kind in one go and marks those it
// applied (setCombined(true)). An op it leaves alone runs on its own
// afterwards, in a savepoint, and names its refusal there. An error rolls
// the pass back; the batch then runs again without combining.
type combiner interface {
	combine(ctx context.Context, q queryer, ops []batchOp) error
}

// queryer runs a query in a transaction or, on a *sql.DB, as a statement
// that commits on its own.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// finisher runs after each op that succeeded, in the op's part of the
// transaction, and returns what to do once that transaction committed:
// the store completes the request's idempotency claim there.
type finisher func(tx *txn, ctx context.Context, result any) (afterCommit func(), err error)

// outboxWriter writes, just before a transaction commits, the events its
// requests emitted (tx.outbox; see (*DB).emit), and returns what to do
// once it committed (wake the webhook dispatcher).
type outboxWriter func(tx *txn) (afterCommit func(), err error)

// writer owns the write path. Concurrent ops queue here; the loop takes
// every request waiting, runs them in one transaction and commits once.
// Callers are answered only after the commit, so an acknowledged write is
// durable.
type writer struct {
	db *sql.DB
	// prepared holds statements prepared on the writer's connection
	// between transactions, reused by every later transaction (only the
	// writer goroutine touches it).
	prepared map[string]*sql.Stmt
	dialect  dialect
	finish   finisher
	outbox   outboxWriter
	log      *slog.Logger
	reqs     chan *writeReq
	// carry holds the requests a batch took in but left for the next one
	// (see lockFirst); only the writer goroutine touches it.
	carry []*writeReq
	quit  chan struct{}
	done  chan struct{}
	once  sync.Once
	stats writerStats
	// observe, if set, is told the size of each committed batch.
	observe atomic.Pointer[func(size int)]
	// busy holds the wallets a lock wait timed out on, until when the
	// batches that name them lock without waiting (lockFirst), so that
	// each does not wait the lock limit again; only the writer goroutine
	// touches it.
	busy map[string]time.Time
	// files, if set (SQLite), refuses a commit once the database's files
	// are no longer those opened, and then saves what the old ones hold
	// (walguard.go).
	files atomic.Pointer[filesGuard]
}

// writerStats counts what the writer did since it started.
type writerStats struct {
	commits  atomic.Int64 // transactions committed
	requests atomic.Int64 // requests answered by those commits
	reruns   atomic.Int64 // passes that rolled back to guard a failed request
	combined atomic.Int64 // ops committed by a combined statement
	// uncombined: passes whose combined statements failed
	uncombined atomic.Int64
	// lockTimeouts: passes that waited the lock limit in vain
	lockTimeouts atomic.Int64
}

type writeReq struct {
	ctx context.Context
	op  op
	// Set by the pass that commits.
	result any
	after  func()
	err    chan error
}

func newWriter(db *sql.DB, d dialect, log *slog.Logger, finish finisher, outbox outboxWriter) *writer {
	w := &writer{
		db:       db,
		finish:   finish,
		outbox:   outbox,
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

// do queues o and waits for its outcome. Once queued, it always waits for
// the answer even if ctx ends: returning early could report failure for a
// write that then commits.
func (w *writer) do(ctx context.Context, o op) (any, error) {
	for attempt := 1; ; attempt++ {
		req := &writeReq{ctx: ctx, op: o, err: make(chan error, 1)}
		select {
		case w.reqs <- req:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-w.quit:
			return nil, errClosed
		}
		err := <-req.err
		// A deadlock victim was rolled back to its savepoint (or with its
		// whole transaction): it had no effect and can simply run again.
		if err == nil || !isRetryable(err) || attempt == maxAttempts {
			if err == nil && req.after != nil {
				req.after()
			}
			return req.result, err
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
		if len(w.carry) > 0 {
			// What the last batch took in but left goes first.
			batch = append(batch[:0], w.carry...)
			clear(w.carry)
			w.carry = w.carry[:0]
		} else {
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
		}
		batch = w.run(w.fill(batch), true)
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
// trips made while the batch holds its rows' locks), and its batch ops
// combined. When a request fails, the transaction is rolled back, as its
// failure may have left partial effects, and the batch runs again with
// that request inside a savepoint, so it rolls back alone. After
// maxPasses-1 such failures every request of the batch gets a savepoint.
// Callers are answered once, after the pass that commits. With grow the
// first pass may take in more requests (see pass); run returns the batch
// it answered.
func (w *writer) run(batch []*writeReq, grow bool) []*writeReq {
	guard := make([]bool, len(batch))
	combine, skipBusy := true, false
	for pass := 1; ; pass++ {
		if pass == maxPasses {
			for i := range guard {
				guard[i] = true
			}
		}
		var errs []error
		var failed int
		var err error
		batch, errs, failed, err = w.pass(batch, guard, combine, grow && pass == 1, skipBusy)
		// The pass may have refused some requests (skipBusy), moving the
		// guards of those it kept to the front, or taken in more.
		guard = guard[:min(len(guard), len(batch))]
		guard = append(guard, make([]bool, len(batch)-len(guard))...)
		if lockTimedOut(err) {
			w.stats.lockTimeouts.Add(1)
		}
		switch {
		case lockTimedOut(err) && !skipBusy:
			// A wallet stayed locked past the lock limit (a session
			// outside partnerd, an instance frozen mid-batch): the batch
			// runs again without waiting for wallets, and refuses at once
			// the requests whose wallets are still locked (lockFirst).
			skipBusy = true
			w.log.Warn("a wallet stayed locked past the writer's lock limit; refusing the requests that need it", "err", err)
			continue
		case lockTimedOut(err):
			// Again: its requests are 503s to retry, nothing of them kept.
		case errors.Is(err, errCombine):
			// A combined statement failed: the requests go one by one.
			combine = false
			w.stats.uncombined.Add(1)
			w.log.Warn("combined writes failed; running them one by one", "err", err)
			continue
		case failed >= 0:
			guard[failed] = true
			w.stats.reruns.Add(1)
			continue
		case errors.Is(err, errCommitRefused) && len(batch) > 1:
			// A check deferred to the commit refused it (on SQLite the
			// foreign keys of ledger entries and call records, migration
			// 00027), and nothing of the pass was kept. No savepoint can
			// tell which request was at fault: each runs again in a
			// transaction of its own, so only that one fails.
			w.stats.reruns.Add(1)
			for _, r := range batch {
				w.run([]*writeReq{r}, false)
			}
			return batch
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

// errCombine marks a failure of a combined statement (or of the locks
// taken for it): nothing of the pass is kept.
var errCombine = errors.New("combined writes")

// errCommitRefused marks a commit that a constraint refused: nothing of
// the pass is kept.
var errCommitRefused = errors.New("refused by a constraint")

// combinable returns the batch op of r that this pass may combine, if any.
func combinable(r *writeReq, guarded, combine bool) batchOp {
	b, ok := r.op.(batchOp)
	if !ok {
		return nil
	}
	b.setCombined(false) // an earlier pass's outcome was rolled back
	// A guarded request runs alone, so its savepoint holds all of it.
	if !combine || guarded || r.ctx.Err() != nil || b.combiner() == nil {
		return nil
	}
	return b
}

// lockFirst locks the wallets the batch's combinable ops name, sorted (one
// lock order for every instance), and then takes in the requests that
// arrived while it waited, but only those whose wallets it can lock at
// once, without waiting: a transaction that waited for a wallet while
// holding others, in no common order, could deadlock with another
// instance's, and lose a second to PostgreSQL's deadlock detection. The
// others wait for the next batch (carry), whose first statement locks
// their wallets in order. Without grow (a rerun) it only locks. With
// skipBusy (a rerun after a lock wait timed out) it waits for no wallet:
// busy marks the requests whose wallets another transaction still holds,
// for the pass to refuse.
func (w *writer) lockFirst(tx *txn, batch []*writeReq, grow, skipBusy bool) (_ []*writeReq, busy []bool, _ error) {
	held := make(map[string]bool)
	ids, keys, err := lockKeysOf(tx, batch, held)
	if err != nil {
		return batch, nil, fmt.Errorf("name the wallets to lock: %w", err)
	}
	if len(ids) == 0 {
		return batch, nil, nil
	}
	if skipBusy || w.anyBusy(ids) {
		got, err := w.lockAtOnce(tx, ids)
		if err != nil {
			return batch, nil, err
		}
		until := time.Now().Add(busyFor)
		for _, id := range ids {
			if got[id] {
				delete(w.busy, id)
			} else {
				if w.busy == nil {
					w.busy = make(map[string]time.Time)
				}
				w.busy[id] = until
			}
		}
		busy = make([]bool, len(batch))
		for i := range batch {
			for _, id := range keys[i] {
				busy[i] = busy[i] || !got[id]
			}
		}
		return batch, busy, nil
	}
	if _, err := tx.ExecContext(tx.ctx, w.dialect.lockWallets, ids); err != nil {
		return batch, nil, fmt.Errorf("lock wallets: %w", err)
	}
	if !grow {
		return batch, nil, nil
	}
	n := len(batch)
	batch = w.fill(batch)
	if len(batch) == n {
		return batch, nil, nil
	}
	added := slices.Clone(batch[n:])
	clear(batch[n:])
	batch = batch[:n]
	more, keys, err := lockKeysOf(tx, added, maps.Clone(held))
	if err != nil {
		return batch, nil, fmt.Errorf("name the wallets to lock: %w", err)
	}
	got, err := w.lockAtOnce(tx, more)
	if err != nil {
		return batch, nil, err
	}
	for i, r := range added {
		join := keys[i] != nil
		for _, id := range keys[i] {
			join = join && (held[id] || got[id])
		}
		if join {
			batch = append(batch, r)
		} else {
			w.carry = append(w.carry, r)
		}
	}
	return batch, nil, nil
}

// busyFor is how long a wallet found held past the lock limit is taken
// for busy: the batches that name it meanwhile lock it without waiting
// and refuse its requests if it is still held (taking it for busy that
// much longer), instead of each waiting the limit with the writer's
// other requests; once nothing asked for it that long, it is waited for
// again.
const busyFor = 5 * time.Second

// anyBusy reports whether one of the wallets ids is taken for busy.
func (w *writer) anyBusy(ids []string) bool {
	if len(w.busy) == 0 {
		return false
	}
	now := time.Now()
	for id, until := range w.busy {
		if now.After(until) {
			delete(w.busy, id)
		}
	}
	for _, id := range ids {
		if _, ok := w.busy[id]; ok {
			return true
		}
	}
	return false
}

// lockAtOnce locks those of the wallets ids (in lock order) that no other
// transaction holds, without waiting, and returns them.
func (w *writer) lockAtOnce(tx *txn, ids []string) (map[string]bool, error) {
	got := make(map[string]bool)
	if len(ids) == 0 {
		return got, nil
	}
	err := tx.scanRows(func(rows *sql.Rows) error {
		var id string
		err := rows.Scan(&id)
		got[id] = true
		return err
	}, w.dialect.lockWalletsAtOnce, ids)
	if err != nil {
		return nil, fmt.Errorf("lock wallets at once: %w", err)
	}
	return got, nil
}

// walletBusy refuses a request whose wallet another transaction held
// past the writer's lock limit (see run): nothing of it was written.
func walletBusy() error {
	return &partnerd.Error{Code: partnerd.ECUnavailable, RetryAfter: time.Second,
		Message: "A wallet this request needs is held by another transaction for longer than the database's lock limit; nothing was changed. Retry shortly."}
}

// keyReader is an op that must read to name some of the wallets it will
// lock (an inbound call's account is its number's holder): lockFirst asks
// it, in the batch's transaction, before it locks.
type keyReader interface {
	readLockKeys(tx *txn) ([]string, error)
}

// lockKeys returns the wallets r's op will lock, as far as it can name
// them, or nil when the writer cannot lock them first (an op that is
// neither combinable nor a keyReader); an op that locks none has an empty
// slice.
func lockKeys(tx *txn, r *writeReq) ([]string, error) {
	b, combinable := r.op.(batchOp)
	combinable = combinable && b.combiner() != nil
	kr, reads := r.op.(keyReader)
	if !combinable && !reads {
		return nil, nil
	}
	keys := []string{}
	if combinable {
		keys = append(keys, b.lockKeys()...)
	}
	if reads {
		more, err := kr.readLockKeys(tx)
		if err != nil {
			return nil, err
		}
		keys = append(keys, more...)
	}
	return keys, nil
}

// lockKeysOf returns, in lock order (lockOrder), the wallets the ops of
// batch name that are not in held yet, and adds them to held; and each
// request's own wallets (lockKeys).
func lockKeysOf(tx *txn, batch []*writeReq, held map[string]bool) ([]string, [][]string, error) {
	var ids []string
	keys := make([][]string, len(batch))
	for i, r := range batch {
		k, err := lockKeys(tx, r)
		if err != nil {
			return nil, nil, err
		}
		keys[i] = k
		for _, id := range k {
			if !held[id] {
				held[id] = true
				ids = append(ids, id)
			}
		}
	}
	slices.SortFunc(ids, lockOrder)
	return ids, keys, nil
}

// lockOrder is the order every instance locks wallets in: partners'
// first, then customers', each by id. The partner's wallet is the one
// every transfer of a partner takes, so a batch waits for it holding
// nothing else, and the customers' are free for the batch that holds it
// (and for the requests that join it while it waited) instead of held
// by batches queued behind it. (A CDR batch locks its customers by id
// too, after these: cdrBatch.read.)
func lockOrder(a, b string) int {
	return cmp.Or(cmp.Compare(lockRank(a), lockRank(b)), strings.Compare(a, b))
}

func lockRank(id string) int {
	if partnerd.IsPartnerID(id) {
		return 0
	}
	return 1
}

// combineAll applies the combinable ops, one call per combiner, in the
// order the combiners first appear in the batch.
func combineAll(ctx context.Context, q queryer, ops []batchOp) error {
	var order []combiner
	groups := make(map[combiner][]batchOp)
	for _, b := range ops {
		c := b.combiner()
		if _, ok := groups[c]; !ok {
			order = append(order, c)
		}
		groups[c] = append(groups[c], b)
	}
	for _, c := range order {
		if err := c.combine(ctx, q, groups[c]); err != nil {
			return err
		}
	}
	return nil
}

// pass runs the batch once, in one transaction, with a savepoint around
// each guarded request. It returns each request's outcome and -1 once the
// transaction has ended (err is then a failure of the transaction itself,
// for every request that did not fail alone), or the index of an unguarded
// request that failed, after rolling everything back.
//
// With grow, a pass with batch ops first locks the wallets they name (see
// lockFirst), which waits while another instance's batch holds one: under
// contention batches grow instead of queueing for one commit each. It
// returns the batch it ran.
func (w *writer) pass(batch []*writeReq, guard []bool, combine, grow, skipBusy bool) (_ []*writeReq, errs []error, failed int, err error) {
	sqlTx, err := w.db.BeginTx(context.Background(), nil)
	if err != nil {
		return batch, make([]error, len(batch)), -1, fmt.Errorf("begin: %w", err)
	}
	tx := &txn{Tx: sqlTx, dialect: w.dialect, prepared: w.prepared, ctx: context.Background()}
	defer w.prepareMissing(tx)
	defer tx.closeStmts()
	if w.dialect.lockWallets != "" {
		// Every pass locks first, a rerun too: its requests take the same
		// wallets, in the same order as every other batch's.
		var busy []bool
		if batch, busy, err = w.lockFirst(tx, batch, combine && grow, skipBusy); err != nil {
			sqlTx.Rollback()
			if combine {
				err = fmt.Errorf("%w: %w", errCombine, err)
			}
			return batch, make([]error, len(batch)), -1, err
		}
		if busy != nil {
			// Refused now, they leave the batch; the guards of those that
			// stay move with them (run's guard shares this array).
			n := 0
			for i, r := range batch {
				if busy[i] {
					r.err <- walletBusy()
					continue
				}
				batch[n], guard[n] = r, guard[i]
				n++
			}
			clear(batch[n:])
			batch, guard = batch[:n], guard[:n]
		}
		guard = append(guard, make([]bool, len(batch)-len(guard))...)
	}
	errs = make([]error, len(batch))
	abort := func(what string, err error) ([]*writeReq, []error, int, error) {
		sqlTx.Rollback()
		return batch, errs, -1, fmt.Errorf("%s: %w", what, err)
	}
	single := len(batch) == 1 // its transaction is its savepoint
	var ops []batchOp
	for i, r := range batch {
		r.result, r.after = nil, nil
		if b := combinable(r, guard[i], combine); b != nil {
			ops = append(ops, b)
		}
	}
	if len(ops) > 0 {
		if err := combineAll(tx.ctx, tx, ops); err != nil {
			sqlTx.Rollback()
			return batch, errs, -1, fmt.Errorf("%w: %w", errCombine, err)
		}
	}
	for i, r := range batch {
		b, _ := r.op.(batchOp)
		combined := b != nil && b.combined()
		if err := r.ctx.Err(); err != nil && !combined {
			errs[i] = err
			continue
		}
		// The request's own deadline must not abort a statement half-way
		// through a shared transaction.
		tx.ctx = context.WithoutCancel(r.ctx)
		// An op the combined statement left alone is likely to be refused:
		// it gets a savepoint at once instead of a rerun.
		leftAlone := len(ops) > 0 && b != nil && b.combiner() != nil && !combined
		if single || !(guard[i] || leftAlone) {
			errs[i] = w.apply(tx, r)
			if errs[i] != nil && !single {
				sqlTx.Rollback()
				return batch, nil, i, nil
			}
			continue
		}
		if _, err := tx.ExecContext(tx.ctx, "SAVEPOINT w"); err != nil {
			return abort("savepoint", err)
		}
		if errs[i] = w.apply(tx, r); errs[i] != nil {
			if _, err := tx.ExecContext(tx.ctx, "ROLLBACK TO SAVEPOINT w"); err != nil {
				return abort("rollback to savepoint", err)
			}
		}
		if _, err := tx.ExecContext(tx.ctx, "RELEASE SAVEPOINT w"); err != nil {
			return abort("release savepoint", err)
		}
	}
	if single && errs[0] != nil {
		sqlTx.Rollback()
		return batch, errs, -1, nil
	}
	// The usage, audit rows and events of the requests that succeeded, in
	// the same transaction (a request that failed took its own with it,
	// see apply).
	if err := tx.flushUsage(); err != nil {
		return abort("write usage", err)
	}
	if err := writeAudit(tx); err != nil {
		return abort("write audit rows", err)
	}
	var afterOutbox func()
	if w.outbox != nil && len(tx.outbox) > 0 {
		if afterOutbox, err = w.outbox(tx); err != nil {
			return abort("write events", err)
		}
	}
	if g := w.files.Load(); g != nil {
		if err := g.check(); err != nil {
			sqlTx.Rollback()
			g.save(w)
			return batch, errs, -1, err
		}
	}
	if err := sqlTx.Commit(); err != nil {
		if isConstraintViolation(err) {
			err = fmt.Errorf("%w: %w", errCommitRefused, err)
		}
		return batch, errs, -1, fmt.Errorf("commit: %w", err)
	}
	if afterOutbox != nil {
		afterOutbox()
	}
	w.stats.commits.Add(1)
	w.stats.requests.Add(int64(len(batch)))
	if f := w.observe.Load(); f != nil {
		(*f)(len(batch))
	}
	for _, b := range ops {
		if b.combined() {
			w.stats.combined.Add(1)
		}
	}
	return batch, errs, -1, nil
}

// apply runs one request's op and then the store's finishing step, both in
// the request's part of the transaction, and keeps the outcome for do.
func (w *writer) apply(tx *txn, r *writeReq) error {
	mark, auditMark := len(tx.outbox), len(tx.audits)
	usageMark, usageWritten := len(tx.usage), tx.usageWritten
	tx.unchanged = false
	res, after, err := runSafely(tx, r.op, w.finish)
	if err == nil {
		err = checkAudited(r, tx, auditMark)
	}
	if err != nil {
		// Its effects are rolled back (to its savepoint, or with the
		// pass): so are the events, audit rows and usage it recorded,
		// and any usage it wrote (flushUsage).
		tx.outbox, tx.audits = tx.outbox[:mark], tx.audits[:auditMark]
		tx.usage, tx.usageWritten = tx.usage[:usageMark], usageWritten
		return err
	}
	alertsLast(tx.outbox[mark:])
	r.result, r.after = res, after
	return nil
}

// runSafely turns a panic in fn into an error, so one bad request cannot
// take down the writer and its batch.
func runSafely(tx *txn, o op, finish finisher) (res any, after func(), err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in write transaction: %v", p)
		}
	}()
	if res, err = o.apply(tx); err != nil || finish == nil {
		return res, nil, err
	}
	after, err = finish(tx, tx.ctx, res)
	return res, after, err
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
	// outbox holds the events emitted by the transaction's requests so
	// far (see (*DB).emit), written just before it commits.
	outbox []pendingEvent
	// audits holds the audit rows of the transaction's requests so far
	// (see (*DB).audit), written just before it commits.
	audits []pendingAudit
	// unchanged is set by a request's op that only read (see
	// (*txn).readOnly): it owes no audit row.
	unchanged bool
	// usage holds the usage recorded by the transaction's requests so
	// far (see (*txn).addUsage); those before usageWritten are written.
	usage        []*usageBatch
	usageWritten int
	// closing is the customer whose account the running request closes:
	// its last balance move raises no low-balance alert and no top-up.
	closing string
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

// ObserveBatches has fn told the number of write requests of every
// transaction the writer commits (the partnerd_write_batch_size
// histogram). fn runs on the writer's goroutine: it must be quick.
func (db *DB) ObserveBatches(fn func(size int)) {
	db.writer.observe.Store(&fn)
}
