package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations
var migrations embed.FS

// migrateSQLite opens the writer's connection (which turns on WAL, a
// change of the file's journal mode) and applies pending migrations.
// Several processes may open the same file at once (a server and an
// operator command), so an exclusive flock on a lock file beside the
// database serializes both steps: a journal-mode change raced by another
// opener fails at once with SQLITE_BUSY, whatever the busy timeout, and
// the second migrator finds nothing left to do. The migration runs on its
// own short-lived pool because goose needs more than the writer's single
// connection.
func migrateSQLite(ctx context.Context, w *sql.DB, dsn, path string) (Migration, error) {
	unlock, err := lockFile(path + ".migrate-lock")
	if err != nil {
		return Migration{}, fmt.Errorf("migration lock: %w", err)
	}
	defer unlock()
	if err := w.PingContext(ctx); err != nil {
		return Migration{}, fmt.Errorf("open %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return Migration{}, err
	}
	defer db.Close()
	return migrate(ctx, db, sqliteDialect)
}

// Migration is what Open did to the schema.
type Migration struct {
	// Created is set when Open made the SQLite file.
	Created bool
	// Applied migrations took the schema from version From to To; with
	// none applied, From and To are the version it was already at.
	Applied  int
	From, To int64
}

// lockFile takes an exclusive flock on the file at path, creating it, and
// returns the function that removes the file and releases the lock. The
// file is removed while still locked, so none is left behind; a process
// that was waiting for the lock then holds a file that no longer has the
// name, sees it (the name is gone or names another file) and tries again.
func lockFile(path string) (unlock func(), err error) {
	for {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			return nil, err
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, err
		}
		held, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, err
		}
		named, err := os.Stat(path)
		if err == nil && os.SameFile(held, named) {
			return func() {
				os.Remove(path)
				f.Close()
			}, nil
		}
		f.Close()
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
}

// probeSQLite refuses, with ErrNoDatabase, a path that holds no partnerd
// database. It opens an existing file only (mode=rw: SQLite creates
// nothing) and sets no pragma, so a foreign database is left as it was
// (journal_mode=WAL would persist in it).
func probeSQLite(ctx context.Context, file, path string) error {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s does not exist", ErrNoDatabase, path)
	} else if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	db, err := sql.Open("sqlite", file+"?mode=rw&_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	return checkPartnerd(ctx, db, sqliteDialect, path)
}

// ErrForeignDatabase means a database that serve, migrate or copy would
// install partnerd's schema into already holds another application's
// tables.
var ErrForeignDatabase = errors.New("not a partnerd database")

// refuseForeign refuses, with ErrForeignDatabase, an existing SQLite file
// that holds tables but not partnerd's: another application's database,
// which a mistyped --db would otherwise fill with partnerd's schema. An
// empty file, or one holding goose's table alone (a first migration that
// failed), is partnerd's to fill. Like probeSQLite, it sets no pragma.
func refuseForeign(ctx context.Context, file, path string) error {
	db, err := sql.Open("sqlite", file+"?mode=rw&_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	var others []string
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		return fmt.Errorf("%w: %s cannot be read as a database: %v", ErrForeignDatabase, path, err)
	}
	defer rows.Close()
	partners := false
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		switch name {
		case "partners":
			partners = true
		case "goose_db_version":
		default:
			others = append(others, name)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%w: %s cannot be read as a database: %v", ErrForeignDatabase, path, err)
	}
	if partners || len(others) == 0 {
		return nil
	}
	if len(others) > 3 {
		others = append(others[:3], "…")
	}
	return fmt.Errorf("%w: %s holds another application's tables (%s) and no partners table; "+
		"partnerd installs its schema only into a new or empty database", ErrForeignDatabase, path, strings.Join(others, ", "))
}

// partnerdTables are the tables whose presence makes a database partnerd's:
// goose's record of migrations and the first table of the first one.
var partnerdTables = []string{"goose_db_version", "partners"}

// checkPartnerd returns ErrNoDatabase unless db holds partnerd's tables.
// name says which database it is, without a password.
func checkPartnerd(ctx context.Context, db *sql.DB, d dialect, name string) error {
	for _, table := range partnerdTables {
		var n int
		if err := db.QueryRowContext(ctx, d.rebind(d.tableExistsQuery), table).Scan(&n); err != nil {
			return fmt.Errorf("%w: %s cannot be read as a database: %v", ErrNoDatabase, name, err)
		}
		if n == 0 {
			return fmt.Errorf("%w: %s is not a partnerd database (it has no %s table)", ErrNoDatabase, name, table)
		}
	}
	return nil
}

// migratePostgres applies pending migrations under a PostgreSQL advisory
// lock, so instances starting at once take turns. With mustExist it first
// refuses a database without partnerd's tables.
func migratePostgres(ctx context.Context, dsn string, mustExist bool) (Migration, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return Migration{}, err
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		return Migration{}, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	if mustExist {
		if err := checkPartnerd(ctx, db, postgresDialect, "the PostgreSQL database"); err != nil {
			return Migration{}, err
		}
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return Migration{}, err
	}
	return migrate(ctx, db, postgresDialect, goose.WithSessionLocker(locker))
}

// migrate applies the pending migrations and says which it applied.
func migrate(ctx context.Context, db *sql.DB, d dialect, opts ...goose.ProviderOption) (Migration, error) {
	fsys, err := fs.Sub(migrations, d.migrations)
	if err != nil {
		return Migration{}, err
	}
	p, err := goose.NewProvider(d.goose, db, fsys, opts...)
	if err != nil {
		return Migration{}, fmt.Errorf("migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return Migration{}, fmt.Errorf("migrate: %w", err)
	}
	if len(results) == 0 {
		// Another process may have migrated meanwhile: the version is read
		// after Up, not before.
		v, err := p.GetDBVersion(ctx)
		if err != nil {
			return Migration{}, fmt.Errorf("migrate: schema version: %w", err)
		}
		return Migration{From: v, To: v}, nil
	}
	// From is the migration before the first this process applied.
	m := Migration{Applied: len(results), To: results[len(results)-1].Source.Version}
	for _, src := range p.ListSources() {
		if src.Version < results[0].Source.Version {
			m.From = src.Version
		}
	}
	return m, nil
}
