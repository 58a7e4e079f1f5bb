package main

import (
	"context"
	"fmt"
	"io"

	"github.com/partnerd/partnerd/internal/sqlstore"
)

// copyCmd moves a whole installation to another database (for example from
// SQLite to PostgreSQL) and verifies the ledger on arrival.
func copyCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("copy", "", stdout)
	from := fs.String("from", "", "source: an existing partnerd database (a file path, sqlite:///abs/path or postgres://…)")
	to := fs.String("to", "", "target database, created if need be; must be empty")
	if err := fs.parse(args); err != nil {
		return err
	}
	if *from == "" || *to == "" {
		return usageError{"copy needs --from and --to\n\n" + fs.usage()}
	}
	for _, dsn := range []*string{from, to} {
		if _, err := sqlstore.ParseSource(*dsn); err != nil {
			return usageError{err.Error()}
		}
	}
	src, err := openStore(ctx, *from, getenv, nil, reading)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	defer src.Close()
	// The target is a new installation: like migrate, copy may create it.
	dst, err := openStore(ctx, *to, getenv, nil, creating)
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	defer dst.Close()
	if err := sqlstore.Copy(ctx, src, dst, stderr); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "copied; verifying the target's ledger:")
	if err := dst.VerifyLedger(ctx, stdout); err != nil {
		return err
	}
	// The secrets and their key check came along; the key did not.
	fmt.Fprintln(stdout, "serve the copy with the source's secret key (PARTNERD_SECRET_KEY, or the content of the source's key file): its secrets open with no other")
	return nil
}
