package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"time"

	"github.com/partnerd/partnerd/internal/sqlstore"
)

// backup takes a consistent copy of a live SQLite database while the
// server keeps serving, and copies its secret key beside it, since the
// copy's tokens and SIP secrets open only with that key.
func backup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("backup", "OUT_FILE", stdout)
	dbFlag := fs.db(getenv)
	if err := fs.parse(args); err != nil {
		return err
	}
	out := fs.Arg(0)
	if out == "" || fs.NArg() != 1 {
		return usageError{"backup takes one argument: the file to write the copy to"}
	}
	src, err := sqlstore.ParseSource(*dbFlag)
	if err != nil {
		return usageError{err.Error()}
	}
	if src.Driver != "sqlite" {
		return usageError{"partnerd backup copies SQLite databases; back up PostgreSQL with pg_dump or pg_basebackup (see the README)"}
	}
	db, err := openStore(ctx, *dbFlag, getenv, nil, existing)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	if err := db.Backup(ctx, out); err != nil {
		return err
	}
	took := time.Since(start)
	info, err := os.Stat(out)
	if err != nil {
		return err
	}
	key := ""
	if err := copyKey(src.KeyFile(), sqlstore.Source{Driver: "sqlite", Path: out}.KeyFile()); err == nil {
		key = out + ".key"
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return json.NewEncoder(stdout).Encode(map[string]any{
		"file": out, "key_file": key, "bytes": info.Size(), "duration_ms": took.Milliseconds(),
	})
}

// copyKey copies the secret key file from to a new file to, readable by
// its owner only.
func copyKey(from, to string) error {
	k, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(k); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
