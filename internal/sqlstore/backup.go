package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Backup writes a consistent copy of a live SQLite database to out, which
// must not exist: VACUUM INTO reads one snapshot of the database while
// the server goes on writing, into a temporary file beside out that is
// synced and renamed, so out is either the whole copy or absent.
// PostgreSQL is backed up with its own tools (pg_dump, base backups).
func (db *DB) Backup(ctx context.Context, out string) (err error) {
	defer wrapErr("backup", &err)
	if db.dialect.name != sqliteDialect.name {
		return errors.New("only a SQLite database is backed up by partnerd; back up PostgreSQL with pg_dump or pg_basebackup")
	}
	if _, err := os.Lstat(out); err == nil {
		return fmt.Errorf("%s exists; choose a new file", out)
	}
	// CreateTemp makes the file its owner's alone (0600), as the database
	// is; VACUUM INTO writes into it, empty, and keeps that mode.
	tmp, err := os.CreateTemp(filepath.Dir(out), filepath.Base(out)+".partial-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	tmp.Close()
	defer os.Remove(name) // after a failure; a link leaves out behind
	// On the write connection, since the read pool's are read-only; in
	// WAL mode the copy reads a snapshot and holds no lock writers wait on.
	if _, err := db.write.ExecContext(ctx, `VACUUM INTO ?`, name); err != nil {
		return err
	}
	if err := syncFile(name); err != nil {
		return err
	}
	if err := os.Link(name, out); err != nil { // fails if out appeared meanwhile
		return err
	}
	return syncFile(filepath.Dir(out))
}

// syncFile flushes a file, or a directory's entries, to stable storage.
func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
