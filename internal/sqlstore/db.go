package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/secret"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// DB is a partnerd store on one database. It implements the partnerd
// service interfaces.
type DB struct {
	dialect dialect
	// write has exactly one connection on SQLite: all writes are serialized
	// through the writer goroutine, so concurrent writers never wait on
	// SQLITE_BUSY. read is a separate pool for queries.
	write *sql.DB
	read  *sql.DB
	// keys, on PostgreSQL, writes idempotency keys' in-flight markers
	// (keyWrite); nil on SQLite, where only the writer writes.
	keys   *sql.DB
	writer *writer
	box    *secret.Box
	log    *slog.Logger

	readStmts stmtCache
	balances  sharedReader[*partnerd.Account]
	// sqliteBalances serves AccountBalance on SQLite (nil on PostgreSQL).
	sqliteBalances *sqliteBalances
	completed      completedKeys
	held           heldKeys
	// sipCredentials shares SIP credential queries on PostgreSQL (sip.go).
	sipCredentials sharedReader[sipCredentialRow]
	// sipCache remembers found SIP credentials briefly (sip_cache.go).
	sipCache sipCredentialCache
	// deliveries is signalled after commits that made webhook deliveries.
	wakeup wakeup
	// alertCfg caches what balance alerts need of each account;
	// topupWake is signalled when an auto top-up crossing is written.
	alertCfg  alertConfigs
	topupWake wakeup
	// decks caches rate decks for rating call records (rate_deck.go).
	decks rateDecks
	// migration is what Open did to the schema (Migration).
	migration Migration
	// searchHitsLimit bounds a partner-wide search's candidates (cdrlist.go).
	searchHitsLimit int
	// searches holds a slot for each partner-wide CDR search running
	// (ListCDRs): half the cores', at least one.
	searches chan struct{}
	// search keeps the call_uuid index off the writer's path (cdrsearch.go).
	search *searchIndexer
	// checkpoint copies SQLite's WAL into the database off the writer's
	// commits (checkpoint.go); nil on PostgreSQL and read-only stores.
	checkpoint *checkpointer
	// outOfRoomAt is when reportOutOfRoom last logged (Unix seconds).
	outOfRoomAt atomic.Int64
	// files guards a writable SQLite store's -wal and -shm (walguard.go).
	files *filesGuard

	// Now returns the current time; tests replace it.
	Now func() time.Time
}

// Options configure Open.
type Options struct {
	// SecretKey is the 32-byte AES-256 key that encrypts customer tokens
	// and stored responses. Open refuses it (ErrWrongKey) when the
	// database's secrets were sealed under another key (see keycheck.go).
	SecretKey []byte
	// NewSecretKey, used when SecretKey is nil, makes a key (a new key
	// file). Open calls it only for a database that holds no secret yet,
	// and refuses one that does (ErrKeyNeeded). With neither, the store
	// has no key and cannot read or write secrets: enough for operator
	// commands.
	NewSecretKey func() ([]byte, error)
	// MustExist refuses, with ErrNoDatabase and without creating any file,
	// a database that does not exist or is not a partnerd database. Only
	// serve and migrate create databases; every other command sets it.
	MustExist bool
	// ReadOnly opens an existing partnerd database (as MustExist) for
	// reading only, changing nothing in it or beside it: no migration
	// lock, no migration, no journal-mode change, no file created. A
	// schema behind this binary's is refused with ErrSchemaBehind. For
	// the operator commands that only read.
	ReadOnly bool
	Logger   *slog.Logger
	// wal, when set (by the tests), replaces defaultWALLimits.
	wal *walLimits
	// searchIndexLag, when set (by the tests), replaces searchIndexLag.
	searchIndexLag int64
	// lockLimit, when set (by the tests), replaces writerLockLimit.
	lockLimit string
}

// ErrNoDatabase means Options.MustExist found no partnerd database at the
// source: no such file, or a database without partnerd's tables.
var ErrNoDatabase = errors.New("no partnerd database")

// Open opens and migrates the database named by src.
func Open(ctx context.Context, src Source, opts Options) (*DB, error) {
	db := &DB{dialect: sqliteDialect, log: opts.Logger, Now: time.Now, searchHitsLimit: defaultSearchHitsLimit,
		searches: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2))}
	if src.Driver == "postgres" {
		db.dialect = postgresDialect
	}
	if db.log == nil {
		db.log = slog.New(slog.DiscardHandler)
	}
	var err error
	switch {
	case src.Driver == "postgres" && opts.ReadOnly:
		err = db.openPostgresReadOnly(ctx, src.DSN)
	case src.Driver == "postgres":
		err = db.openPostgres(ctx, src.DSN, opts.MustExist, cmp.Or(opts.lockLimit, writerLockLimit))
	case opts.ReadOnly:
		err = db.openSQLiteReadOnly(ctx, src.Path)
	default:
		err = db.openSQLite(ctx, src.Path, opts)
	}
	if err != nil {
		return nil, err
	}
	db.readStmts = stmtCache{db: db.read, dialect: db.dialect}
	db.writer = newWriter(db.write, db.dialect, db.log, db.completeClaim, db.writeOutbox)
	if err := db.checkKey(ctx, opts); err != nil {
		db.Close()
		return nil, err
	}
	if opts.ReadOnly {
		// A pending rebuild of the usage aggregates is the next writer's.
		return db, nil
	}
	if err := db.rebuildPendingUsage(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("rebuild usage: %w", err)
	}
	if err := db.startSearchIndexer(ctx, cmp.Or(opts.searchIndexLag, searchIndexLag)); err != nil {
		db.Close()
		return nil, fmt.Errorf("cdr search index: %w", err)
	}
	if src.Driver != "postgres" {
		if err := db.guardFiles(ctx, src.Path); err != nil {
			db.Close()
			return nil, fmt.Errorf("watch the database's files: %w", err)
		}
	}
	return db, nil
}

// writable refuses a database that this process may not write, or whose
// -wal or -shm file it may not write, before SQLite opens anything: SQLite
// would open it read-only without a word, and every write would fail until
// a restart (and the files it made meanwhile would be this user's).
func writable(path string) error {
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		f, err := os.OpenFile(name, os.O_RDWR, 0)
		if errors.Is(err, fs.ErrNotExist) && name != path {
			continue
		}
		if err != nil {
			return fmt.Errorf("open %s for writing: %w (partnerd writes its database, and the -wal and -shm files beside it, as the user it runs as)", name, err)
		}
		f.Close()
	}
	return nil
}

// sqlitePragmas apply to every connection. WAL lets readers run beside the
// one writer; synchronous=FULL makes every acknowledged commit survive power
// loss; busy_timeout covers other processes (operator commands) that take
// the write lock briefly; temp_store=memory keeps the per-request
// savepoint journals of a batch in memory instead of spilling them to temp
// files (measured: about 16 writes per transfer, 10-20 % of the writer's CPU).
// wal_autocheckpoint=8000 (32 MB of WAL, against 1,000 pages by default)
// is the threshold at which a connection that commits copies the WAL into
// the database: an operator command's; the server's writer does it only
// at 4x that, its checkpointer copying the WAL beside it every second
// (checkpoint.go). A checkpoint writes each page once however often the
// WAL holds it, and batches of call records of many customers rewrite the
// same index leaves (some 350 pages a batch of 100): a larger WAL copies
// them fewer times (measured with the writer checkpointing at 8000 pages
// instead of 1,000: CDR ingest 10,200-10,700 -> 11,300-12,800/s,
// transfers and authorizations unchanged or faster, authorize p99 lower).
// journal_size_limit: a checkpoint cannot finish while a reader still
// needs the WAL's frames (a long CSV export), so the WAL grows meanwhile
// by everything written; without a limit SQLite keeps the file at its
// largest size for ever after, reusing it instead of shrinking it. With
// one, the WAL is cut back to the limit each time it starts over.
func sqlitePragmas(wal walLimits) string {
	return fmt.Sprintf("_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)"+
		"&_pragma=temp_store(memory)&_pragma=wal_autocheckpoint(%d)&_pragma=journal_size_limit(%d)", wal.checkpointPages, wal.sizeLimit)
}

// walLimits are the WAL's checkpoint threshold (pages) and the size it is
// cut back to (bytes): see sqlitePragmas. Only the tests choose others.
type walLimits struct {
	checkpointPages, sizeLimit int
}

var defaultWALLimits = walLimits{checkpointPages: 8000, sizeLimit: 64 << 20}

func (db *DB) openSQLite(ctx context.Context, path string, opts Options) error {
	file := "file:" + (&url.URL{Path: path}).EscapedPath()
	if opts.MustExist {
		if err := writable(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err := probeSQLite(ctx, file, path); err != nil {
			return err
		}
	} else if dir := filepath.Dir(path); dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return fmt.Errorf("database directory: %w", err)
		}
		// A new database is its owner's alone: it holds customers'
		// personal data and the ciphertexts of every secret. SQLite gives
		// its -wal and -shm files the database file's mode.
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		switch {
		case err == nil:
			db.migration.Created = true
			if err := f.Close(); err != nil {
				return fmt.Errorf("create %s: %w", path, err)
			}
		case errors.Is(err, os.ErrExist):
			if err := writable(path); err != nil {
				return err
			}
			if err := refuseForeign(ctx, file, path); err != nil {
				return err
			}
		default:
			return fmt.Errorf("create %s: %w", path, err)
		}
	}
	wal := defaultWALLimits
	if opts.wal != nil {
		wal = *opts.wal
	}
	base := file + "?" + sqlitePragmas(wal)
	// _txlock=immediate takes the write lock at BEGIN, so a transaction never
	// has to upgrade a read lock (the source of "database is locked" storms).
	// The writer's page cache is 64 MiB instead of SQLite's 2 MiB: a batch
	// of call records dirties thousands of index leaves, which overflowed
	// the default cache, so SQLite spilled them to the WAL mid-transaction,
	// wrote them again at commit and read them back meanwhile (measured:
	// pread 11 % of the CDR benchmark's CPU, 1.5 % after; CDR ingest +10 %
	// in alternating runs). The readers keep the default: a CSV export
	// streams through its pages once.
	// Its own checkpoints are a backstop behind the checkpointer's.
	writerWAL := wal
	writerWAL.checkpointPages *= checkpointBackstop
	w, err := sql.Open("sqlite", file+"?"+sqlitePragmas(writerWAL)+"&_txlock=immediate&_pragma=cache_size(-65536)")
	if err != nil {
		return err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	m, err := migrateSQLite(ctx, w, base+"&_txlock=immediate", path)
	if err != nil {
		w.Close()
		return err
	}
	db.migration.Applied, db.migration.From, db.migration.To = m.Applied, m.From, m.To
	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return err
	}
	// Eight connections for queries, and those AccountBalance keeps.
	r.SetMaxOpenConns(8 + sqliteBalanceConns)
	r.SetMaxIdleConns(8 + sqliteBalanceConns)
	ck, err := startCheckpointer(base)
	if err != nil {
		w.Close()
		r.Close()
		return err
	}
	if err := db.useSQLite(ctx, path, w, r); err != nil {
		ck.stop()
		return err
	}
	db.checkpoint = ck
	return nil
}

// useSQLite finishes opening path with its writer w and readers r: the
// connections AccountBalance keeps, then the pools in use.
func (db *DB) useSQLite(ctx context.Context, path string, w, r *sql.DB) error {
	bal, err := newSQLiteBalances(ctx, r)
	if err != nil {
		w.Close()
		r.Close()
		return fmt.Errorf("open %s: %w", path, err)
	}
	db.write, db.read, db.sqliteBalances = w, r, bal
	return nil
}

// openPostgres opens the pools on a PostgreSQL database. Each instance has
// one writer (one connection at a time, batching its concurrent writes);
// several instances may share the database.
func (db *DB) openPostgres(ctx context.Context, dsn string, mustExist bool, lockLimit string) error {
	m, err := migratePostgres(ctx, dsn, mustExist)
	if err != nil {
		return err
	}
	db.migration = m
	w, err := sql.Open("pgx", withSettings(withSettings(withSettings(dsn, "enable_seqscan", "off"),
		"idle_in_transaction_session_timeout", writerIdleLimit), "lock_timeout", lockLimit))
	if err != nil {
		return err
	}
	w.SetMaxOpenConns(2)
	w.SetMaxIdleConns(2)
	// Idempotency keys' in-flight markers (keyWrite) commit on their own,
	// beside the writer's batches, without waiting for their WAL to reach
	// the disk: a marker lost in a crash of PostgreSQL belonged to a
	// request whose transaction that crash ended too, and such a key is
	// free (API.md §1); the responses themselves commit with the writes.
	// The call_uuid index's cleaner (cdrsearch.go) uses it too: its work
	// is the index's alone, which PostgreSQL's recovery restores.
	k, err := sql.Open("pgx", withSettings(dsn, "synchronous_commit", "off"))
	if err != nil {
		w.Close()
		return err
	}
	k.SetMaxOpenConns(8)
	k.SetMaxIdleConns(8)
	r, err := sql.Open("pgx", withSettings(dsn, "plan_cache_mode", "force_custom_plan"))
	if err != nil {
		w.Close()
		k.Close()
		return err
	}
	r.SetMaxOpenConns(16)
	r.SetMaxIdleConns(16)
	if err := r.PingContext(ctx); err != nil {
		w.Close()
		k.Close()
		r.Close()
		return fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	db.write, db.read, db.keys = w, r, k
	return nil
}

// writerIdleLimit ends a writer's session that sits inside a transaction
// doing nothing that long: an instance frozen mid-batch (a stopped
// process, a VM paused) would otherwise hold its wallets' row locks, and
// stall every other instance's writes to them, until it woke. A batch
// never idles between its statements for more than milliseconds (waiting
// for a lock is not idle).
const writerIdleLimit = "30s"

// writerLockLimit bounds how long a writer's statement waits for a row
// lock (lock_timeout): another instance's batch holds its rows for
// milliseconds, so a longer wait means a session holding them outside
// partnerd (an operator's psql) or an instance frozen mid-batch. Without
// it every write of the instance queued behind the one waiting, for as
// long as the lock was held, and answers that came after the HTTP
// server's minute were lost although their writes had committed. With it
// the requests that need the held wallet are 503s to retry, nothing of
// them kept, and the rest of their batch commits (see writer.run).
const writerLockLimit = "5s"

// withSettings is dsn with a run-time setting for every connection.
//
// The writer's connections set enable_seqscan=off: they never scan a
// table, since every statement they run finds its rows by key. Until
// autovacuum has analyzed a table that was empty (up to a minute after it
// fills, on a new database), its statistics still say empty, and the
// planner then prefers a sequential scan for a lookup by primary key; as
// the table grows (authorizations, cdrs) each lookup reads all of it.
// Measured on the authorize benchmark: 2,200/s with the scans,
// 14,000-16,000/s when the plans use the indexes.
//
// The read pool's connections set plan_cache_mode=force_custom_plan: its
// statements are prepared once and run many times, and after five runs
// PostgreSQL may settle on a generic plan, blind to the parameters. For a
// page of a partner's calls that plan sorts the month's million rows by
// recording order (3.5 s) where the plan for the actual values walks the
// (seq) index backwards and stops after the page (5 ms).
func withSettings(dsn, name, value string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set(name, value)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " " + name + "=" + value
}

// wrapErr prefixes a store method's error with its operation's name, so
// that a 500's log says what failed; errors.As still finds a domain error
// under it. Deferred with the method's named error result.
func wrapErr(op string, err *error) {
	if *err != nil {
		*err = fmt.Errorf("%s: %w", op, *err)
	}
}

// Close stops the writer and closes the database.
func (db *DB) Close() error {
	db.files.close()
	db.search.stop()
	db.writer.close()
	cerr := db.checkpoint.stop()
	db.readStmts.close()
	if db.sqliteBalances != nil {
		db.sqliteBalances.close()
	}
	err := errors.Join(cerr, db.read.Close(), db.write.Close())
	if db.keys != nil {
		err = errors.Join(err, db.keys.Close())
	}
	return err
}

// Migration says what Open did to the schema.
func (db *DB) Migration() Migration { return db.migration }

// Ping checks that the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// do runs o through the writer: in a transaction possibly shared with
// other concurrent writes, followed in the same transaction by the
// completion of the request's idempotency claim (completeClaim). It
// returns o's result once the transaction committed.
func (db *DB) do(ctx context.Context, o op) (any, error) {
	res, err := db.writer.do(ctx, o)
	var pe *partnerd.Error
	switch {
	case err == nil || errors.As(err, &pe):
	case outOfRoom(err):
		db.reportOutOfRoom(err)
		return nil, &partnerd.Error{Code: partnerd.ECUnavailable, Message: "The database has no room for this write now; nothing was changed. Retry later.",
			Err: err, RetryAfter: outOfRoomRetry}
	case Unavailable(err):
		return nil, &partnerd.Error{Code: partnerd.ECUnavailable, Message: "The database is unavailable or busy; retry shortly.", Err: err,
			RetryAfter: time.Second}
	}
	return res, err
}

// outOfRoomRetry is the Retry-After of a write refused for want of room:
// room is made by an operator, not in a second.
const outOfRoomRetry = 30 * time.Second

// reportOutOfRoom tells the operator, at most once a minute, that writes
// are refused until the database has room again (each refused request
// is logged too, as a warning).
func (db *DB) reportOutOfRoom(err error) {
	now := time.Now().Unix()
	last := db.outOfRoomAt.Load()
	if now-last < 60 || !db.outOfRoomAt.CompareAndSwap(last, now) {
		return
	}
	db.log.Error("the database has no room: every write is refused (503) until the operator frees disk space (or memory, or connections on PostgreSQL); nothing is lost, and writes resume by themselves",
		"err", err)
}

// write runs fn as one write (see do) and returns its result.
func write[T any](ctx context.Context, db *DB, fn func(tx *txn) (T, error)) (T, error) {
	return writeKeyed(ctx, db, nil, fn)
}

// writeKeyed is write for a write that will lock the wallets keys names
// (reading first, if it must): on engines with row locks the writer locks
// them first, in order with those of the rest of its batch (see
// lockFirst), instead of the write taking them as it goes, in no common
// order, where another instance's batch could hold them.
func writeKeyed[T any](ctx context.Context, db *DB, keys func(tx *txn) ([]string, error), fn func(tx *txn) (T, error)) (T, error) {
	var o op = opFunc(func(tx *txn) (any, error) {
		v, err := fn(tx)
		if err != nil {
			return nil, err
		}
		return v, nil
	})
	if keys != nil {
		o = keyedOp{op: o, keys: keys}
	}
	res, err := db.do(ctx, o)
	if err != nil {
		var zero T
		return zero, err
	}
	return res.(T), nil
}

// update runs fn as one write without a result (see do). Under an
// idempotency claim it is refused: a request's response is rendered from
// its write's result, so idempotent writes use write.
func (db *DB) update(ctx context.Context, fn func(tx *txn) error) error {
	_, err := db.do(ctx, opFunc(func(tx *txn) (any, error) { return nil, fn(tx) }))
	return err
}

// opFunc is an op that is a plain function.
type opFunc func(tx *txn) (any, error)

func (f opFunc) apply(tx *txn) (any, error) { return f(tx) }

// keyedOp is an op that names its wallets (keyReader), from writeKeyed.
type keyedOp struct {
	op
	keys func(tx *txn) ([]string, error)
}

func (k keyedOp) readLockKeys(tx *txn) ([]string, error) { return k.keys(tx) }

// theseKeys names wallets known before the write runs.
func theseKeys(ids ...string) func(*txn) ([]string, error) {
	return func(*txn) ([]string, error) { return ids, nil }
}

// queryRow runs a cached prepared query on the read pool.
func (db *DB) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := db.readStmts.get(ctx, query)
	if err != nil {
		return db.read.QueryRowContext(ctx, db.dialect.rebind(query), args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// query runs a cached prepared query on the read pool.
func (db *DB) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := db.readStmts.get(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// stmtCache prepares each query once per *sql.DB; database/sql then
// re-prepares it lazily on each pooled connection that runs it.
type stmtCache struct {
	db      *sql.DB
	dialect dialect
	mu      sync.Mutex
	m       map[string]*sql.Stmt
}

func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, c.dialect.rebind(query))
	if err != nil {
		return nil, err
	}
	if c.m == nil {
		c.m = make(map[string]*sql.Stmt)
	}
	c.m[query] = st
	return st, nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m = nil
}
