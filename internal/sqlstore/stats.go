package sqlstore

import "database/sql"

// WriterStats counts what the store's write batcher did since the store
// opened: how many transactions it committed and how many write requests
// those commits answered, so requests/commit is the mean batch size.
type WriterStats struct {
	Commits  int64 // transactions committed
	Requests int64 // write requests answered by those commits
	Reruns   int64 // batch passes rolled back to run a failed request in a savepoint
	Combined int64 // transfers committed by a combined (one-statement) move
	// Uncombined counts the passes whose combined statements failed (a
	// deadlock among them), which then ran their requests one by one.
	Uncombined int64
}

// WriterStats returns the writer's counts so far. Each count is read
// atomically, but not all at one instant: compare two readings taken
// while the store is quiet, or treat the difference as approximate.
func (db *DB) WriterStats() WriterStats {
	s := &db.writer.stats
	return WriterStats{
		Commits: s.commits.Load(), Requests: s.requests.Load(), Reruns: s.reruns.Load(), Combined: s.combined.Load(),
		Uncombined: s.uncombined.Load(),
	}
}

// Sub returns the counts between earlier and s.
func (s WriterStats) Sub(earlier WriterStats) WriterStats {
	return WriterStats{
		Commits: s.Commits - earlier.Commits, Requests: s.Requests - earlier.Requests,
		Reruns: s.Reruns - earlier.Reruns, Combined: s.Combined - earlier.Combined, Uncombined: s.Uncombined - earlier.Uncombined,
	}
}

// PoolStats returns the statistics of the store's connection pools: the
// readers', the writer's and, on PostgreSQL, the idempotency keys'.
func (db *DB) PoolStats() map[string]func() sql.DBStats {
	pools := map[string]func() sql.DBStats{"read": db.read.Stats, "write": db.write.Stats}
	if db.keys != nil {
		pools["keys"] = db.keys.Stats
	}
	return pools
}
