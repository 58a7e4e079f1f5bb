package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"

	"github.com/pressly/goose/v3"
)

// ErrSchemaBehind means Options.ReadOnly found a partnerd database whose
// schema lacks migrations this binary has: reading it would misread it,
// and a read-only open does not migrate.
var ErrSchemaBehind = errors.New("the database's schema is behind this partnerd")

// openSQLiteReadOnly opens the pools on an existing partnerd database
// with mode=ro: SQLite writes nothing to the file, and no pragma that
// would (journal_mode) is set. A database in WAL mode whose -wal file is
// absent is opened immutable as well: no process has it open (SQLite
// removes the -wal when the last connection closes, as after a backup or
// a server's stop), and without immutable=1 a reader would create the
// -wal and -shm files beside it, which a read-only directory forbids.
func (db *DB) openSQLiteReadOnly(ctx context.Context, path string) error {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s does not exist", ErrNoDatabase, path)
	} else if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?mode=ro&_pragma=busy_timeout(10000)&_pragma=query_only(1)"
	if idle, err := walWithoutLog(path); err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	} else if idle {
		dsn += "&immutable=1"
	}
	r, err := sql.Open("sqlite", dsn)
	if err != nil {
		return err
	}
	if err := checkPartnerd(ctx, r, sqliteDialect, path); err != nil {
		r.Close()
		return err
	}
	if err := checkSchema(ctx, r, sqliteDialect, path); err != nil {
		r.Close()
		return err
	}
	r.SetMaxOpenConns(8 + sqliteBalanceConns)
	r.SetMaxIdleConns(8 + sqliteBalanceConns)
	// The writer's pool is read-only too: a write through it fails
	// ("attempt to write a readonly database") instead of happening.
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		r.Close()
		return err
	}
	w.SetMaxOpenConns(1)
	return db.useSQLite(ctx, path, w, r)
}

// walWithoutLog reports whether the SQLite file at path is in WAL mode
// (its header's read and write versions are 2) with no -wal file beside
// it.
func walWithoutLog(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	var header [20]byte
	if _, err := io.ReadFull(f, header[:]); err != nil {
		return false, nil // too short to be a database: SQLite says what it is
	}
	if header[18] != 2 || header[19] != 2 {
		return false, nil
	}
	if _, err := os.Stat(path + "-wal"); errors.Is(err, fs.ErrNotExist) {
		return true, nil
	} else if err != nil {
		return false, err
	}
	return false, nil
}

// openPostgresReadOnly opens the pools on an existing partnerd database
// without migrating it, every transaction read-only.
func (db *DB) openPostgresReadOnly(ctx context.Context, dsn string) error {
	dsn = withSettings(dsn, "default_transaction_read_only", "on")
	r, err := sql.Open("pgx", withSettings(dsn, "plan_cache_mode", "force_custom_plan"))
	if err != nil {
		return err
	}
	if err := r.PingContext(ctx); err != nil {
		r.Close()
		return fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	const name = "the PostgreSQL database"
	if err := checkPartnerd(ctx, r, postgresDialect, name); err != nil {
		r.Close()
		return err
	}
	if err := checkSchema(ctx, r, postgresDialect, name); err != nil {
		r.Close()
		return err
	}
	r.SetMaxOpenConns(16)
	r.SetMaxIdleConns(16)
	w, err := sql.Open("pgx", dsn)
	if err != nil {
		r.Close()
		return err
	}
	w.SetMaxOpenConns(1)
	db.write, db.read = w, r
	return nil
}

// checkSchema returns ErrSchemaBehind when the database has not recorded
// this binary's latest migration. name says which database it is.
func checkSchema(ctx context.Context, db *sql.DB, d dialect, name string) error {
	fsys, err := fs.Sub(migrations, d.migrations)
	if err != nil {
		return err
	}
	// The provider only lists the embedded migrations here: it writes
	// nothing.
	p, err := goose.NewProvider(d.goose, db, fsys)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	sources := p.ListSources()
	if len(sources) == 0 {
		return nil
	}
	want := sources[len(sources)-1].Version
	var have sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT MAX(version_id) FROM goose_db_version`).Scan(&have); err != nil {
		return fmt.Errorf("%s: schema version: %w", name, err)
	}
	if have.Int64 < want {
		return fmt.Errorf("%w: %s is at schema version %d, this partnerd needs %d; run partnerd migrate (with the same --db) first",
			ErrSchemaBehind, name, have.Int64, want)
	}
	return nil
}
