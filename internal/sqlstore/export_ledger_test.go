package sqlstore

import (
	"context"
	"fmt"
	"net/url"
	"sync"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Test-only access to internals for ledger_bench_test.go.

// LedgerBenchDSN is the data source the store's writer opens for path: the
// same pragmas (WAL, synchronous=FULL, busy_timeout, foreign_keys) and
// _txlock=immediate, so a raw baseline runs on identical settings.
func LedgerBenchDSN(path string) string {
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + sqlitePragmas(defaultWALLimits) + "&_txlock=immediate"
}

// LedgerBenchStats counts what the writer's one connection commits: how
// many commits, and for each commit how many ledger transactions it held
// (the writer's batch size, in transfers).
type LedgerBenchStats struct {
	mu      sync.Mutex
	pending int           // ledger_transactions rows inserted since the last commit
	commits int64         // commits of the writer's connection
	rows    int64         // ledger_transactions rows committed
	sizes   map[int]int64 // ledger_transactions rows per commit -> commits
}

// LedgerBenchSnapshot is a copy of LedgerBenchStats at one moment.
type LedgerBenchSnapshot struct {
	Commits int64
	Rows    int64
	Sizes   map[int]int64
}

// Snapshot copies the counters.
func (s *LedgerBenchStats) Snapshot() LedgerBenchSnapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	sizes := make(map[int]int64, len(s.sizes))
	for k, v := range s.sizes {
		sizes[k] = v
	}
	return LedgerBenchSnapshot{Commits: s.commits, Rows: s.rows, Sizes: sizes}
}

// Sub returns the counts between earlier and s.
func (s LedgerBenchSnapshot) Sub(earlier LedgerBenchSnapshot) LedgerBenchSnapshot {
	d := LedgerBenchSnapshot{Commits: s.Commits - earlier.Commits, Rows: s.Rows - earlier.Rows, Sizes: map[int]int64{}}
	for k, v := range s.Sizes {
		if n := v - earlier.Sizes[k]; n != 0 {
			d.Sizes[k] = n
		}
	}
	return d
}

// LedgerBenchWatch installs a commit hook (and, if rowsPerCommit, a
// pre-update hook counting ledger_transactions inserts) on the writer's
// connection. Product code is unchanged: the hooks live on the SQLite
// connection only. Call it while the writer is idle.
func (db *DB) LedgerBenchWatch(ctx context.Context, rowsPerCommit bool) (*LedgerBenchStats, error) {
	s := &LedgerBenchStats{sizes: map[int]int64{}}
	c, err := db.write.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	err = c.Raw(func(dc any) error {
		h, ok := dc.(sqlite.HookRegisterer)
		if !ok {
			return fmt.Errorf("sqlstore: driver connection %T cannot register hooks", dc)
		}
		if rowsPerCommit {
			h.RegisterPreUpdateHook(func(d sqlite.SQLitePreUpdateData) {
				if d.Op == sqlite3.SQLITE_INSERT && d.TableName == "ledger_transactions" {
					s.mu.Lock()
					s.pending++
					s.mu.Unlock()
				}
			})
		}
		h.RegisterCommitHook(func() int32 {
			s.mu.Lock()
			s.commits++
			s.rows += int64(s.pending)
			s.sizes[s.pending]++
			s.pending = 0
			s.mu.Unlock()
			return 0
		})
		h.RegisterRollbackHook(func() {
			s.mu.Lock()
			s.pending = 0
			s.mu.Unlock()
		})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// WriterCounts returns how many transactions the store's writer committed
// and how many requests those commits answered.
func (db *DB) WriterCounts() (commits, requests int64) {
	return db.writer.stats.commits.Load(), db.writer.stats.requests.Load()
}
