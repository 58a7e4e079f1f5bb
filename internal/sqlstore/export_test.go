package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"io/fs"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/secret"
)

// Test-only access to internals, for sqlite_test.go and bench_test.go.

// Pragma returns the value of PRAGMA name as seen by a connection of the
// read pool and by the writer's connection.
func (db *DB) Pragma(ctx context.Context, name string) (read, write string, err error) {
	if err := db.read.QueryRowContext(ctx, "PRAGMA "+name).Scan(&read); err != nil {
		return "", "", err
	}
	err = db.update(ctx, func(tx *txn) error {
		return tx.QueryRowContext(ctx, "PRAGMA "+name).Scan(&write)
	})
	return read, write, err
}

// Box is the store's token encryption box.
func (db *DB) Box() *secret.Box { return db.box }

// ReadDB is the store's read pool, for EXPLAIN QUERY PLAN.
func (db *DB) ReadDB() *sql.DB { return db.read }

// Update runs fn in one write transaction of the writer.
func (db *DB) Update(ctx context.Context, fn func(tx *sql.Tx) error) error {
	// A raw write may change what a SIP credential lookup finds (the
	// tests set account statuses so), as the store's own changes do.
	defer db.forgetSIPCredentials()
	return db.update(ctx, func(tx *txn) error { return fn(tx.Tx) })
}

// SchemaVersion is a digest of the embedded migrations: a seeded database
// cached on disk is reused only while it is unchanged.
func SchemaVersion() string {
	h := sha256.New()
	fs.WalkDir(migrations, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations, path)
		if err != nil {
			return err
		}
		h.Write([]byte(path))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Rebind writes a query's ? placeholders as the engine wants them.
func (db *DB) Rebind(query string) string { return db.dialect.rebind(query) }

// CopiedTables names the tables Copy moves.
func CopiedTables() []string {
	var names []string
	for _, t := range copyTables {
		names = append(names, t.name)
	}
	return names
}

// SetSearchHitsLimit sets how many candidates a partner-wide search reads
// through its indexes before it reads the calls in order instead; 0
// restores the default.
func (db *DB) SetSearchHitsLimit(n int) {
	if n == 0 {
		n = defaultSearchHitsLimit
	}
	db.searchHitsLimit = n
}

// WithWALLimits returns o with the WAL's checkpoint threshold (pages) and
// size limit (bytes) for SQLite set to small ones a test can reach.
func WithWALLimits(o Options, checkpointPages, sizeLimit int) Options {
	o.wal = &walLimits{checkpointPages: checkpointPages, sizeLimit: sizeLimit}
	return o
}

// SetStreamHold sets how long a streaming export keeps one query open.
func (db *DB) SetStreamHold(d time.Duration) { db.dialect.streamHold = d }

// SetExportChunk sets how many rows each query of an export reads whole
// (0: the export streams from its cursor).
func (db *DB) SetExportChunk(n int) { db.dialect.exportChunk = n }

// WithSearchIndexLag returns o with the number of calls recorded past the
// call_uuid index that wakes its indexer (SQLite) set to n.
func WithSearchIndexLag(o Options, n int64) Options {
	o.searchIndexLag = n
	return o
}

// CDRSearchIndexedUpTo returns the seq of the last call in the call_uuid
// index (SQLite).
func (db *DB) CDRSearchIndexedUpTo(ctx context.Context) (int64, error) {
	var upto int64
	err := db.read.QueryRowContext(ctx, `SELECT upto FROM cdrs_uuid_search_upto`).Scan(&upto)
	return upto, err
}

// IndexCDRSearch adds up to chunk calls past the mark to the call_uuid
// index (SQLite) and returns how many it added.
func (db *DB) IndexCDRSearch(ctx context.Context, chunk int64) (int64, error) {
	return db.indexCDRSearch(ctx, chunk)
}

// SearchIndexSteps returns how many steps the call_uuid indexer (or
// cleaner, on PostgreSQL) completed.
func (db *DB) SearchIndexSteps() int64 {
	if db.search == nil {
		return 0
	}
	return db.search.steps.Load()
}

// MigrateSQLiteDownTo takes the SQLite database at path back to version,
// with the embedded migrations' Down sections.
func MigrateSQLiteDownTo(ctx context.Context, path string, version int64) error {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate")
	if err != nil {
		return err
	}
	defer db.Close()
	fsys, err := fs.Sub(migrations, sqliteDialect.migrations)
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(sqliteDialect.goose, db, fsys)
	if err != nil {
		return err
	}
	_, err = p.DownTo(ctx, version)
	return err
}

// FlushCallsForBench writes, in one writer transaction and with the CDR
// path's own statements (flushSQLite), the rows that path stores for each
// call of ins: its record, its ledger transaction of cost from the
// customer to the usage wallet, its two entries and the wallets' sums; afters[i]
// is the customer's balance after call i. Nothing is rated, read first,
// counted or indexed for search.
func (db *DB) FlushCallsForBench(ctx context.Context, partnerID, currency string, ins []partnerd.CDRInput,
	cost int64, afters []int64) error {
	return db.update(ctx, func(tx *txn) error {
		now := time.Now()
		usageID, err := systemWallet(tx, "usage", currency, now)
		if err != nil {
			return err
		}
		b := &cdrBatch{}
		for i := range ins {
			in := &ins[i]
			id := partnerd.NewTransactionID(now)
			b.charges = append(b.charges, cdrCharge{txID: id, partnerID: partnerID, description: callDescription(in),
				reference: in.CallUUID, authID: *in.AccountAuthID, usageID: usageID, amount: cost, after: afters[i]})
			b.rows = append(b.rows, cdrRow{in: in, partnerID: partnerID, authID: *in.AccountAuthID, currency: currency,
				cost: cost, txID: &id})
		}
		return b.flushSQLite(tx, now.Unix())
	})
}
