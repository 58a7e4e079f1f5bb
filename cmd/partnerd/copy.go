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
	fs, _ := newFlags("copy", getenv, stderr)
	from := fs.String("from", "", "source database (sqlite:///abs/path, a file path, or postgres://…)")
	to := fs.String("to", "", "target database; must be empty")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *from == "" || *to == "" {
		return usageError{"usage: partnerd copy --from sqlite:///path/partnerd.db --to postgres://…"}
	}
	src, err := openStore(ctx, *from, getenv, nil, false)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	defer src.Close()
	dst, err := openStore(ctx, *to, getenv, nil, false)
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	defer dst.Close()
	if err := sqlstore.Copy(ctx, src, dst, stderr); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "copied; verifying the target's ledger:")
	return dst.VerifyLedger(ctx, stdout)
}
