package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
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
func migrateSQLite(ctx context.Context, w *sql.DB, dsn, path string) error {
	unlock, err := lockFile(path + ".migrate-lock")
	if err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer unlock()
	if err := w.PingContext(ctx); err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	return migrate(ctx, db, sqliteDialect)
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
func migratePostgres(ctx context.Context, dsn string, mustExist bool) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		return fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	if mustExist {
		if err := checkPartnerd(ctx, db, postgresDialect, "the PostgreSQL database"); err != nil {
			return err
		}
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return err
	}
	return migrate(ctx, db, postgresDialect, goose.WithSessionLocker(locker))
}

func migrate(ctx context.Context, db *sql.DB, d dialect, opts ...goose.ProviderOption) error {
	fsys, err := fs.Sub(migrations, d.migrations)
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(d.goose, db, fsys, opts...)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}
