// Command partnerctl is a partner's command line for a partnerd server:
// its customer accounts and their lifecycle, wallets and auto top-up,
// numbers, SIP endpoints, calls, events and webhook endpoints, over the
// partner API through package client.
//
// Exit codes:
//
//	0  success
//	1  the server refused the request: its message, error code and request id are printed
//	2  usage: an unknown command or flag, a missing or malformed argument
//	3  no usable answer: the server could not be reached or its answer not read (a write may
//	   have been made: the message names the --idempotency-key that finishes it safely), or a
//	   local file failed
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
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/client"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := environment{getenv: os.Getenv, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, terminal: isTerminal(os.Stderr)}
	if err := run(ctx, os.Args[1:], env); err != nil {
		printError(os.Stderr, err)
		os.Exit(exitCode(err))
	}
}

// environment is what a command may touch of the process, so that tests
// give their own.
type environment struct {
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
	// terminal reports stderr is a terminal: progress bars are drawn on it.
	terminal bool
	// limit ends the command's context after d (--timeout); run sets it.
	limit func(d time.Duration)
}

// Exit codes (see the package comment).
const (
	exitOK       = 0
	exitAPI      = 1
	exitUsage    = 2
	exitNoAnswer = 3
)

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// errHelp ends a command whose usage was asked for and printed: exit 0.
var errHelp = errors.New("help shown")

// exitCode is the one place that maps errors to exit codes.
func exitCode(err error) int {
	var u usageError
	var api *partnerd.Error
	var na *client.NoAnswerError
	switch {
	case err == nil, errors.Is(err, errHelp):
		return exitOK
	case errors.As(err, &u):
		return exitUsage
	case errors.As(err, &na):
		// Before *partnerd.Error: a proxy's 502 is wrapped in one.
		return exitNoAnswer
	case errors.As(err, &api):
		return exitAPI
	}
	return exitNoAnswer
}

// printError writes err for a person: the API's message, then its code
// and request id (to quote to the server's operator) and any invalid
// fields. Never a stack trace.
func printError(w io.Writer, err error) {
	var api *partnerd.Error
	if !errors.As(err, &api) {
		fmt.Fprintln(w, "partnerctl:", err)
		return
	}
	fmt.Fprintln(w, "partnerctl:", api.Message)
	line := "  error: " + api.Code
	if id := client.RequestID(err); id != "" {
		line += ", request id: " + id
	}
	fmt.Fprintln(w, line)
	for _, f := range api.Fields {
		fmt.Fprintf(w, "  %s: %s (%s)\n", f.Field, f.Message, f.Code)
	}
}

// command is one command, as help lists it.
type command struct {
	name    string // as typed: "accounts list"
	summary string
	run     func(ctx context.Context, args []string, env environment) error
}

// commands lists every command, in the order help shows them. (A function,
// not a variable: the commands' own help reads it.)
func commands() []command {
	return []command{
		{"me", "show the partner's profile and master wallet balance", me},
		{"accounts list", "list customer accounts, newest first", accountsList},
		{"accounts get", "show a customer's full profile, auth_token included", accountsGet},
		{"accounts create", "create a customer account and print its auth_token", accountsCreate},
		{"accounts update", "change a customer's profile: only the fields given, or cleared", accountsUpdate},
		{"accounts suspend", "suspend a customer: its calls and its own API are refused", accountsSuspend},
		{"accounts activate", "make a suspended customer active again", accountsActivate},
		{"accounts close", "close a customer for good: its balance comes back, its numbers go to the pool", accountsClose},
		{"accounts rotate-token", "give a customer a new auth_token and print it; the old one stops working", accountsRotateToken},
		{"balance", "show a customer's balance, or the partner's master wallet without an account", balance},
		{"transfer", "move money from the partner's master wallet to a customer", transfer},
		{"withdraw", "move money from a customer back to the partner's master wallet", withdraw},
		{"transactions", "list ledger transactions: a customer's, every customer's, or the partner's own", transactions},
		{"numbers list", "list phone numbers: the partner's pool, or a customer's", numbersList},
		{"numbers assign", "rent a number of the pool to a customer (the first month is charged now)", numbersAssign},
		{"numbers release", "return a customer's number to the pool (nothing is refunded)", numbersRelease},
		{"sip-endpoints list", "list a customer's SIP endpoints", sipList},
		{"sip-endpoints get", "show one of a customer's SIP endpoints", sipGet},
		{"sip-endpoints create", "give a customer a SIP endpoint (username and password)", sipCreate},
		{"sip-endpoints password", "give a SIP endpoint a new password", sipPassword},
		{"sip-endpoints delete", "delete a SIP endpoint: its credentials stop working at once", sipDelete},
		{"cdrs list", "list call records, newest first (the last 30 days unless dates are given)", cdrsList},
		{"cdrs get", "show one call record in full", cdrsGet},
		{"cdrs export", "write every matching call record as CSV to a file, with a progress bar on a terminal", cdrsExport},
		{"auto-topup get", "show a customer's auto top-up settings and what they used today and this month", autoTopupGet},
		{"auto-topup set", "set every auto top-up setting of a customer", autoTopupSet},
		{"auto-topup off", "turn a customer's auto top-up off, keeping its settings", autoTopupOff},
		{"events list", "list events, newest first (kept 30 days)", eventsList},
		{"events get", "show one event with its data", eventsGet},
		{"webhooks list", "list webhook endpoints", webhooksList},
		{"webhooks create", "subscribe a URL to events", webhooksCreate},
		{"webhooks get", "show a webhook endpoint", webhooksGet},
		{"webhooks update", "change a webhook endpoint: URL, event types, description, status", webhooksUpdate},
		{"webhooks delete", "delete a webhook endpoint: nothing more is sent to it", webhooksDelete},
		{"webhooks secret", "print a webhook endpoint's signing secret", webhooksSecret},
		{"webhooks rotate-secret", "give a webhook endpoint a new signing secret; the old one signs a while longer", webhooksRotateSecret},
		{"webhooks test", "send a webhook endpoint a ping event", webhooksTest},
		{"webhooks deliveries", "list a webhook endpoint's deliveries with their last attempt", webhooksDeliveries},
		{"webhooks retry", "send a failed or dead delivery again now", webhooksRetry},
		{"rates list", "list the partner's rate deck, by direction and prefix", ratesList},
		{"audit-events list", "list the partner's audit log: who changed what, newest first", auditList},
		{"dashboard", "show the partner's overview: customers, balances, calls and spend", dashboard},
		{"analytics", "sum calls and cost over a span of days, with the top customers", analytics},
	}
}

// run is the whole program; main only adds the process around it.
func run(ctx context.Context, args []string, env environment) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var timer *time.Timer
	env.limit = func(d time.Duration) {
		if timer == nil {
			timer = time.AfterFunc(d, func() { cancel(timedOut{d}) })
		}
	}
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	err := dispatch(ctx, args, env)
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}

// runCommand runs c, and says what a call without an answer means.
func runCommand(ctx context.Context, c command, args []string, env environment) error {
	err := c.run(ctx, args, env)
	var na *client.NoAnswerError
	if errors.As(err, &na) {
		return noAnswerError{na: na, what: outcome(c.name), cause: context.Cause(ctx)}
	}
	return err
}

// timedOut is the cause of a context that --timeout ended.
type timedOut struct{ d time.Duration }

func (t timedOut) Error() string { return fmt.Sprintf("nothing within --timeout %s", t.d) }

// noAnswerError is a call that got no usable answer: what it means for a
// write, and how to finish it safely.
type noAnswerError struct {
	na    *client.NoAnswerError
	what  string // "the transfer"
	cause error  // the command context's cause, if it ended
}

func (e noAnswerError) Error() string {
	why := client.Describe(e.na.Err)
	var t timedOut
	switch {
	case errors.As(e.cause, &t):
		why = t.Error()
	case errors.Is(e.cause, context.Canceled):
		why = "interrupted"
	}
	msg := fmt.Sprintf("no answer from %s (%s)", client.Server(e.na.URL), why)
	switch {
	case e.na.Method == "GET":
		return msg
	case !e.na.MayHaveActed:
		return msg + "; the request never reached it, so nothing was done"
	case e.na.IdempotencyKey != "":
		return fmt.Sprintf("%s; %s may or may not have been made. Run the same command again with --idempotency-key %s to finish it safely.",
			msg, e.what, e.na.IdempotencyKey)
	}
	return fmt.Sprintf("%s; %s may or may not have been made: look before running the command again.", msg, e.what)
}

// outcome names what a command makes, for a message about it.
func outcome(command string) string {
	switch command {
	case "transfer":
		return "the transfer"
	case "withdraw":
		return "the withdrawal"
	case "accounts create":
		return "the account"
	case "numbers assign":
		return "the assignment"
	}
	if strings.HasSuffix(command, " delete") || command == "numbers release" {
		return "the deletion"
	}
	return "the change"
}

// dispatch finds the command args name and runs it with the rest.
func dispatch(ctx context.Context, args []string, env environment) error {
	if len(args) == 0 {
		return usageError{listUsage("")}
	}
	if isHelp(args[0]) {
		if len(args) == 1 {
			fmt.Fprint(env.stdout, listUsage(""))
			return nil
		}
		// "partnerctl help accounts list" is "partnerctl accounts list --help".
		return dispatch(ctx, append(args[1:len(args):len(args)], "--help"), env)
	}
	var group []command
	for _, c := range commands() {
		if c.name == args[0] {
			return runCommand(ctx, c, args[1:], env)
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
		fmt.Fprint(env.stdout, listUsage(args[0]))
		return nil
	}
	for _, c := range group {
		if c.name == args[0]+" "+args[1] {
			return runCommand(ctx, c, args[2:], env)
		}
	}
	return usageError{fmt.Sprintf("unknown %s subcommand %q\n\n%s", args[0], args[1], listUsage(args[0]))}
}

func isHelp(arg string) bool {
	return arg == "help" || arg == "-h" || arg == "-help" || arg == "--help"
}

// listUsage lists the commands whose name starts with group ("" for all).
func listUsage(group string) string {
	var b strings.Builder
	if group == "" {
		b.WriteString("usage: partnerctl COMMAND [flags] [arguments]\n\nCommands:\n")
	} else {
		fmt.Fprintf(&b, "usage: partnerctl %s SUBCOMMAND [flags] [arguments]\n\nSubcommands:\n", group)
	}
	width := 0
	for _, c := range commands() {
		width = max(width, len(c.name))
	}
	for _, c := range commands() {
		if group == "" || strings.HasPrefix(c.name, group+" ") {
			fmt.Fprintf(&b, "  %-*s %s\n", width+1, c.name, c.summary)
		}
	}
	if group != "" {
		fmt.Fprintf(&b, "\nFlags come first, arguments last. \"partnerctl %s SUBCOMMAND --help\" shows its flags.\n", group)
		return b.String()
	}
	b.WriteString(`
Flags come first, arguments last. "partnerctl COMMAND --help" shows a command's flags.
Every command takes --url, --auth-id and --auth-token, or the environment's
PARTNERD_URL, PARTNERD_AUTH_ID and PARTNERD_AUTH_TOKEN, --timeout (PARTNERD_TIMEOUT)
and --output table|json.

Exit codes: 0 success; 1 the server refused the request (its message, error code
and request id are printed); 2 a usage error; 3 no usable answer (the server could
not be reached or its answer was lost: a write may have been made, and the message
names the --idempotency-key that finishes it safely; or a local file failed).
`)
	return b.String()
}
