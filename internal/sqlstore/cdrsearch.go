package sqlstore

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// The call_uuid trigram index on SQLite, written behind the calls
// (migration 00025). A batch of call records leaves it alone; once about
// searchIndexLag calls are recorded past the index, the indexer adds them,
// up to searchIndexChunk per write, and moves cdrs_uuid_search_upto in the
// same transaction. A search reads the index up to that mark and checks
// the calls after it directly (searchHits), so it finds every call at
// once whether the indexer has come to it or not.

const (
	// searchIndexLag is how many recorded calls wake the indexer: the
	// most a search checks past the index, beside what arrives while the
	// indexer writes (measured: LIKE over 4,000 calls, under 2 ms).
	searchIndexLag = 4096
	// searchIndexChunk bounds one write of the indexer (about 50 ms of the
	// writer) when it catches up after a start or a copy.
	searchIndexChunk = 8192
	// searchIndexRetry is how long the indexer waits after a failed write.
	searchIndexRetry = time.Minute
)

// searchIndexer adds recorded calls to the call_uuid index in the
// background; nil on PostgreSQL and on read-only stores.
type searchIndexer struct {
	db *DB
	// pending counts the calls recorded past the index, roughly: those
	// this store recorded since it last caught up (another process's,
	// such as a copy's, are counted when the store opens).
	pending atomic.Int64
	wake    chan struct{}
	quit    chan struct{}
	done    chan struct{}
	stopped sync.Once
	// lag is searchIndexLag; tests choose others.
	lag int64
}

// startSearchIndexer starts the indexer of a writable SQLite store, woken
// at once if the calls past the index already reach the lag.
func (db *DB) startSearchIndexer(ctx context.Context, lag int64) error {
	var behind int64
	if err := db.read.QueryRowContext(ctx, `SELECT COALESCE((SELECT MAX(seq) FROM cdrs), 0) - upto FROM cdrs_uuid_search_upto`).
		Scan(&behind); err != nil {
		return err
	}
	s := &searchIndexer{db: db, wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{}),
		lag: lag}
	db.search = s
	go s.run()
	s.recorded(behind)
	return nil
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
	s.stopped.Do(func() { close(s.quit) })
	<-s.done
}

func (s *searchIndexer) run() {
	defer close(s.done)
	for {
		select {
		case <-s.quit:
			return
		case <-s.wake:
		}
		for {
			n, err := s.db.indexCDRSearch(context.Background(), searchIndexChunk)
			if err != nil {
				if errors.Is(err, errClosed) {
					return
				}
				s.db.log.Warn("cdr search index: the calls recorded since stay searchable by a scan; retrying in a minute", "err", err)
				// Every batch of calls would wake it again at once.
				select {
				case <-s.quit:
					return
				case <-time.After(searchIndexRetry):
				}
				break
			}
			// Calls another process recorded were not counted here.
			for p := s.pending.Load(); !s.pending.CompareAndSwap(p, max(0, p-n)); p = s.pending.Load() {
			}
			if n < searchIndexChunk {
				break
			}
			select {
			case <-s.quit:
				return
			default:
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
