// Command partnerd is the partner API server and its operator commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/partnerd/partnerd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first signal starts a graceful stop (serve drains first); a
	// second one ends the process at once.
	go func() {
		<-ctx.Done()
		stop()
	}()
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

// errHelp ends a command whose usage was asked for and printed: exit 0.
var errHelp = errors.New("help shown")

// exitCode is the one place that maps errors to exit codes: 2 for a usage
// error, 1 for any other failure (database, not found, …).
func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}

// command is one command of the binary, as help lists it.
type command struct {
	name    string // as typed: "partner fund"
	summary string
	run     func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error
}

// commands lists every command, in the order help shows them. (A function,
// not a variable: the commands' own help reads it.)
func commands() []command {
	return []command{
		{"serve", "run the API server (the default with no command); creates and migrates the database", serve},
		{"migrate", "create the database or bring its schema up to date", migrateCmd},
		{"partner create", "create a partner and print its token, which is shown only this once", partnerCreate},
		{"partner list", "list the partners, one JSON object per line", partnerList},
		{"partner fund", "credit a partner's master wallet with money from outside", partnerFund},
		{"partner set", "change a partner's status, time zone, low-balance threshold or rate limit", partnerSet},
		{"partner rotate-token", "give a partner a new token and print it, the only time it is shown", partnerRotateToken},
		{"partner console-link", "print a one-time link (valid 24 hours) where a partner sets its web console password", partnerConsoleLink},
		{"switch-token create", "create a SIP switch's token for the switch API and print it, shown only this once", switchTokenCreate},
		{"switch-token list", "list the switch tokens (never the tokens themselves), one JSON object per line", switchTokenList},
		{"switch-token revoke", "revoke a switch token (running servers refuse it within a second)", switchTokenRevoke},
		{"audit list", "print the audit log, every partner's changes newest first, one JSON object per line", auditList},
		{"ledger verify", "check every ledger invariant; fail naming the first wallet or transaction that breaks one", ledgerVerify},
		{"number add", "add a phone number (E.164) to a partner's pool", numberAdd},
		{"number import", "add every number of a CSV file to a partner's pool, or none if a row is bad", numberImport},
		{"billing run", "charge the number renewals that are due, release expired call reservations and snapshot usage, as the server does by itself", billingRun},
		{"rate import", "replace a partner's rate deck with the rates of a CSV file; nothing changes if any row is bad or, without --allow-empty, if there is none", rateImport},
		{"kamailio-config", "print a Kamailio configuration that makes Kamailio a prepaid switch driven by this server", kamailioConfig},
		{"copy", "copy a whole installation into an empty database, then verify its ledger", copyCmd},
		{"backup", "write a consistent copy of a live SQLite database (and its key file) while the server keeps serving", backup},
		{"healthcheck", "GET a URL (the server's /readyz) and exit 0 only on a 2xx answer, for container health checks", healthcheck},
		{"version", "print the version, the commit and the Go version", versionCmd},
	}
}

// run is the whole program; main only adds the process around it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	err := dispatch(ctx, args, getenv, stdout, stderr)
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}

// dispatch finds the command args name and runs it with the rest.
func dispatch(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return serve(ctx, nil, getenv, stdout, stderr)
	}
	switch {
	case isHelp(args[0]):
		if len(args) == 1 {
			fmt.Fprint(stdout, listUsage(""))
			return nil
		}
		// "partnerd help partner fund" is "partnerd partner fund --help".
		return dispatch(ctx, append(args[1:len(args):len(args)], "--help"), getenv, stdout, stderr)
	case strings.HasPrefix(args[0], "-"):
		return serve(ctx, args, getenv, stdout, stderr)
	}
	var group []command
	// Every change an operator command makes is recorded in the audit
	// log as the operator's (API.md §7); serve records its own sweeps' as
	// the system's.
	if args[0] != "serve" {
		ctx = partnerd.WithAudit(ctx, partnerd.AuditContext{Actor: partnerd.Actor{Kind: partnerd.ActorOperator}})
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], getenv, stdout, stderr)
		}
		if strings.HasPrefix(c.name, args[0]+" ") {
			group = append(group, c)
		}
	}
	if group == nil {
		return usageError{fmt.Sprintf("unknown command %q\n\n%s", args[0], listUsage(""))}
	}
	if len(args) < 2 {
		return usageError{fmt.Sprintf("%s needs a subcommand\n\n%s", args[0], listUsage(args[0]))}
	}
	if isHelp(args[1]) {
		fmt.Fprint(stdout, listUsage(args[0]))
		return nil
	}
	for _, c := range group {
		if c.name == args[0]+" "+args[1] {
			return c.run(ctx, args[2:], getenv, stdout, stderr)
		}
	}
	return usageError{fmt.Sprintf("unknown %s subcommand %q\n\n%s", args[0], args[1], listUsage(args[0]))}
}

func isHelp(arg string) bool {
	return arg == "help" || arg == "-h" || arg == "-help" || arg == "--help"
}

// listUsage lists the commands whose name starts with group ("" for all),
// with their summaries.
func listUsage(group string) string {
	var b strings.Builder
	if group == "" {
		b.WriteString("usage: partnerd [COMMAND] [flags] [arguments]\n\nCommands:\n")
	} else {
		fmt.Fprintf(&b, "usage: partnerd %s SUBCOMMAND [flags] [arguments]\n\nSubcommands:\n", group)
	}
	for _, c := range commands() {
		if group == "" || strings.HasPrefix(c.name, group+" ") {
			fmt.Fprintf(&b, "  %-20s %s\n", c.name, c.summary)
		}
	}
	if group == "" {
		b.WriteString("\nFlags come first, arguments last. \"partnerd COMMAND --help\" shows a command's flags.\n" +
			"Environment: every serve flag has a PARTNERD_ twin (--rate-limit: PARTNERD_RATE_LIMIT; see partnerd serve --help);\n" +
			"PARTNERD_SECRET_KEY (else the key file DATABASE.key beside a SQLite database).\n")
	} else {
		fmt.Fprintf(&b, "\nFlags come first, arguments last. \"partnerd %s SUBCOMMAND --help\" shows its flags.\n", group)
	}
	return b.String()
}
