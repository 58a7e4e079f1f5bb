package sqlstore

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// The call_uuid trigram index, kept off the writer's path. A batch of
// call records costs the writer no trigram work; once about
// searchIndexLag calls are recorded, a goroutine does it, beside the
// writer:
//
//   - SQLite (migration 00025): the index is written behind the calls. The
//     indexer adds the calls past the mark cdrs_uuid_search_upto, up to
//     searchIndexChunk per write (through the writer, the only one), and
//     moves the mark in the same transaction. A search reads the index up
//     to the mark and checks the calls after it directly (searchHits), so
//     it finds every call at once whether the indexer has come to it or
//     not.
//   - PostgreSQL (migration 00025): the GIN index's pending list, where
//     each insert only appends its trigrams, may grow to 16 MB instead of
//     1 MB before the inserting transaction (the writer's) must merge it
//     into the index; the cleaner merges it first, on a connection of its
//     own (gin_clean_pending_list), so in another server process. Searches
//     read the pending list too, so they find every call at once.

const (
	// searchIndexLag is how many recorded calls wake the indexer: on
	// SQLite the most a search checks past the index, beside what arrives
	// while the indexer writes (LIKE over 100,000 rows took 17-41 ms on
	// these machines, so 1-2 ms); on PostgreSQL about 2 MB of the pending
	// list, which a search reads whole (measured: 3 ms at 6,000 calls).
	searchIndexLag = 4096
	// searchIndexChunk bounds one write of the SQLite indexer (about 50 ms
	// of the writer) when it catches up after a start or a copy.
	searchIndexChunk = 8192
	// searchIndexRetry is how long the indexer waits after a failure.
	searchIndexRetry = time.Minute
)

// searchIndexer keeps the call_uuid index in the background; nil on
// read-only stores.
type searchIndexer struct {
	db *DB
	// pending counts the calls recorded past the index, roughly: those
	// this store recorded since it last caught up (on SQLite, another
	// process's, such as a copy's, are counted when the store opens).
	pending atomic.Int64
	// step indexes some of them and says how many it covered and whether
	// more are waiting.
	step func(ctx context.Context) (n int64, more bool, err error)
	wake chan struct{}
	// ctx ends when the store closes (stop); done, when run has returned.
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	// lag is searchIndexLag; tests choose others.
	lag int64
	// steps counts the steps that succeeded (tests).
	steps atomic.Int64
}

// startSearchIndexer starts the indexer of a writable store; on SQLite it
// is woken at once if the calls past the index already reach the lag.
func (db *DB) startSearchIndexer(ctx context.Context, lag int64) error {
	s := &searchIndexer{db: db, wake: make(chan struct{}, 1), done: make(chan struct{}), lag: lag}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	var behind int64
	if db.dialect.name == postgresDialect.name {
		s.step = s.cleanPending
	} else {
		if err := db.read.QueryRowContext(ctx, `SELECT COALESCE((SELECT MAX(seq) FROM cdrs), 0) - upto FROM cdrs_uuid_search_upto`).
			Scan(&behind); err != nil {
			return err
		}
		s.step = func(ctx context.Context) (int64, bool, error) {
			n, err := db.indexCDRSearch(ctx, searchIndexChunk)
			return n, n == searchIndexChunk, err
		}
	}
	db.search = s
	go s.run()
	s.recorded(behind)
	return nil
}

// cleanPending merges the GIN index's pending list (PostgreSQL): every
// call recorded so far, by any instance. PostgreSQL lets only the index's
// owner do it: the role whose migrations made it, partnerd's own.
func (s *searchIndexer) cleanPending(ctx context.Context) (int64, bool, error) {
	n := s.pending.Load()
	_, err := s.db.keys.ExecContext(ctx, `SELECT gin_clean_pending_list('cdrs_uuid_trgm'::regclass)`)
	return n, false, err
}

// recorded counts n calls just recorded, and wakes the indexer when those
// past the index reach the lag.
func (s *searchIndexer) recorded(n int64) {
	if s == nil || n <= 0 {
		return
	}
	if s.pending.Add(n) >= s.lag {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// stop ends the indexer, after the write it is making.
func (s *searchIndexer) stop() {
	if s == nil {
		return
	}
	s.cancel()
	<-s.done
}

func (s *searchIndexer) run() {
	defer close(s.done)
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.wake:
		}
		for {
			n, more, err := s.step(s.ctx)
			if err != nil {
				if errors.Is(err, errClosed) || s.ctx.Err() != nil {
					return
				}
				s.db.log.Warn("cdr search index: indexing in the background failed; searches still find every call, more slowly; retrying in a minute", "err", err)
				// Every batch of calls would wake it again at once.
				select {
				case <-s.ctx.Done():
					return
				case <-time.After(searchIndexRetry):
				}
				break
			}
			s.steps.Add(1)
			// On SQLite, calls another process recorded were not counted.
			for p := s.pending.Load(); !s.pending.CompareAndSwap(p, max(0, p-n)); p = s.pending.Load() {
			}
			if !more || s.ctx.Err() != nil {
				break
			}
		}
	}
}

// indexCDRSearch adds up to chunk calls past the mark to the call_uuid
// index, oldest first, moves the mark past them, and returns how many it
// added. It is a store-level write of derived rows: no request, no audit
// row.
func (db *DB) indexCDRSearch(ctx context.Context, chunk int64) (int64, error) {
	return write(ctx, db, func(tx *txn) (int64, error) {
		var upto, last, n int64
		if err := tx.queryRow(`SELECT upto FROM cdrs_uuid_search_upto`).Scan(&upto); err != nil {
			return 0, err
		}
		if err := tx.queryRow(`SELECT COALESCE(MAX(seq), 0), COUNT(*) FROM (SELECT seq FROM cdrs WHERE seq > ? ORDER BY seq LIMIT ?)`,
			upto, chunk).Scan(&last, &n); err != nil || n == 0 {
			return 0, err
		}
		if _, err := tx.exec(`INSERT INTO cdrs_uuid_search (rowid, call_uuid) SELECT seq, call_uuid FROM cdrs WHERE seq > ? AND seq <= ?`,
			upto, last); err != nil {
			return 0, err
		}
		if _, err := tx.exec(`UPDATE cdrs_uuid_search_upto SET upto = ?`, last); err != nil {
			return 0, err
		}
		return n, nil
	})
}
