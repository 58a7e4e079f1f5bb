package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/partnerd/partnerd/internal/secret"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// access is what a command may do with its database.
type access int

const (
	// existing: the database must exist and be partnerd's; nothing is
	// created (every operator command but migrate).
	existing access = iota
	// reading: existing, opened read-only: nothing in or beside the
	// database changes, and a schema behind this binary's is refused
	// (the commands that only read).
	reading
	// creating: the database is created and migrated if need be (migrate).
	creating
	// serving: creating, and the secret key is settled: read from
	// PARTNERD_SECRET_KEY or the key file, or made for a database that
	// holds no secret yet (serve).
	serving
)

// openStore opens the database named by dsn, the one place where commands
// do; what it may create is acc's.
func openStore(ctx context.Context, dsn string, getenv func(string) string, log *slog.Logger, acc access) (*sqlstore.DB, error) {
	src, err := sqlstore.ParseSource(dsn)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	opts := sqlstore.Options{Logger: log, MustExist: acc == existing || acc == reading, ReadOnly: acc == reading}
	envKey := getenv("PARTNERD_SECRET_KEY")
	if acc == serving {
		if src.Driver == "postgres" && envKey == "" {
			return nil, usageError{"PostgreSQL needs PARTNERD_SECRET_KEY (64 hex characters; the same on every instance), " +
				"since there is no database file to keep a key file beside"}
		}
		key, err := secret.ReadKey(envKey, src.KeyFile())
		switch {
		case err == nil:
			opts.SecretKey = key
		case envKey == "" && errors.Is(err, fs.ErrNotExist):
			// No key yet: the store makes one only for a database without secrets.
			opts.NewSecretKey = func() ([]byte, error) { return secret.LoadKey("", src.KeyFile()) }
		default:
			return nil, fmt.Errorf("secret key: %w", err)
		}
	}
	db, err := sqlstore.Open(ctx, src, opts)
	switch {
	case errors.Is(err, sqlstore.ErrNoDatabase):
		return nil, fmt.Errorf("%w (is the path right? only partnerd serve and partnerd migrate create a database)", err)
	case errors.Is(err, sqlstore.ErrWrongKey), errors.Is(err, sqlstore.ErrKeyNeeded):
		return nil, fmt.Errorf("%w: %s", err, keyFix(err, src, envKey))
	}
	return db, err
}

// keyFix tells the operator which key was tried and how to give the one
// the database was created with.
func keyFix(err error, src sqlstore.Source, envKey string) string {
	tried := "PARTNERD_SECRET_KEY holds another key"
	switch {
	case errors.Is(err, sqlstore.ErrKeyNeeded):
		tried = "PARTNERD_SECRET_KEY is unset and there is no key file " + src.KeyFile()
	case envKey == "":
		tried = "the key file " + src.KeyFile() + " holds another key"
	}
	fix := "set PARTNERD_SECRET_KEY to the key this database was created with"
	if src.KeyFile() != "" {
		fix += " (for a copy: the source's), or put that key in the key file " + src.KeyFile()
	}
	return tried + "; " + fix
}
