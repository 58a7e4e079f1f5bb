// Command partnerd is the partner API server and its operator commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "partnerd:", err)
		os.Exit(exitCode(err))
	}
}

// usageError is a mistake in the command line: an unknown command or flag,
// a missing or extra argument, a database URL of an unsupported scheme, a
// malformed flag value or amount. It exits 2, wherever it is wrapped.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// exitCode is the one place that maps errors to exit codes: 2 for a usage
// error, 1 for any other failure (database, not found, …).
func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}

const usage = `usage:
  partnerd [serve] [--addr HOST:PORT] [--db PATH|sqlite:///abs/path|postgres://…]
  partnerd migrate --db …
  partnerd partner create --db … --name N --email E [--company C] [--currency INR]
  partnerd partner list --db …
  partnerd partner fund --db … [--description D] PA_… AMOUNT
  partnerd ledger verify --db …
  partnerd copy --from sqlite:///path/partnerd.db --to postgres://user:pass@host:port/db

Environment: PARTNERD_ADDR, PARTNERD_DB, PARTNERD_SECRET_KEY (else a key file beside the database).`

// run is the whole program; main only adds the process around it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || len(args[0]) > 0 && args[0][0] == '-' {
		return serve(ctx, args, getenv, stdout, stderr)
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], getenv, stdout, stderr)
	case "migrate":
		return migrateCmd(ctx, args[1:], getenv, stdout, stderr)
	case "partner":
		if len(args) < 2 {
			return usageError{"partner needs a subcommand: create, fund, list\n" + usage}
		}
		switch args[1] {
		case "create":
			return partnerCreate(ctx, args[2:], getenv, stdout, stderr)
		case "list":
			return partnerList(ctx, args[2:], getenv, stdout, stderr)
		case "fund":
			return partnerFund(ctx, args[2:], getenv, stdout, stderr)
		}
		return usageError{fmt.Sprintf("unknown partner subcommand %q\n%s", args[1], usage)}
	case "copy":
		return copyCmd(ctx, args[1:], getenv, stdout, stderr)
	case "ledger":
		if len(args) < 2 || args[1] != "verify" {
			return usageError{"usage: partnerd ledger verify --db …"}
		}
		return ledgerVerify(ctx, args[2:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return usageError{fmt.Sprintf("unknown command %q\n%s", args[0], usage)}
}
