package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/client"
	"golang.org/x/term"
)

// cmdFlags is one command's flag set, with the flags every command has:
// the server, the credentials and the output format. A mistake is a
// usageError (exit 2) that shows the command's usage; -h or --help prints
// the usage on stdout and ends the command (exit 0).
type cmdFlags struct {
	*flag.FlagSet
	// args names the positional arguments after the flags, one word each
	// ("MA_… AMOUNT"); optional ones in brackets ("[MA_…]").
	args   string
	stdout io.Writer

	url, authID, authToken, output, timeout *string
	getenv                                  func(string) string
	limit                                   func(time.Duration)
}

func newFlags(name, args string, env environment) *cmdFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	f := &cmdFlags{FlagSet: fs, args: args, stdout: env.stdout, getenv: env.getenv, limit: env.limit}
	// The environment fills these after parsing, so that help never
	// prints a token.
	f.url = fs.String("url", "", "the server, such as https://partnerd.example.com (env PARTNERD_URL)")
	f.authID = fs.String("auth-id", "", "the partner id, PA_… (env PARTNERD_AUTH_ID)")
	f.authToken = fs.String("auth-token", "", "the partner's token, sk_live_… (env PARTNERD_AUTH_TOKEN)")
	f.output = fs.String("output", "table", "output format: table, or json (the API's JSON; one object per line for lists)")
	f.timeout = fs.String("timeout", "", "give up after this long for the whole command, such as 20s or 2m (env PARTNERD_TIMEOUT; default: none, 30s per attempt)")
	return f
}

// parse parses args, and returns the positional arguments: at least the
// required ones of f.args, at most all of them.
//
// Flags may follow the arguments (`transfer MA_… 50 --description x`), as
// people type them; a word from "--" on is an argument, and so is a
// negative number, which is no flag's name.
func (f *cmdFlags) parse(args []string) ([]string, error) {
	var pos []string
	for {
		if err := f.Parse(args); err != nil {
			if err == flag.ErrHelp {
				fmt.Fprint(f.stdout, f.usage())
				return nil, errHelp
			}
			return nil, usageError{fmt.Sprintf("%v\n\n%s", err, f.usage())}
		}
		rest := f.Args()
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		i := 0
		for i < len(rest) && !isFlag(rest[i]) {
			i++
		}
		pos = append(pos, rest[:i]...)
		if i == len(rest) {
			break
		}
		args = rest[i:]
	}
	words := strings.Fields(f.args)
	required := 0
	for _, w := range words {
		if !strings.HasPrefix(w, "[") {
			required++
		}
	}
	if n := len(pos); n < required || n > len(words) {
		want := partnerd.Count(required, "argument", "arguments")
		if required != len(words) {
			want = fmt.Sprintf("%d to %d arguments", required, len(words))
		}
		return nil, usageError{fmt.Sprintf("want %s (%s), got %d\n\n%s", want, f.args, n, f.usage())}
	}
	// A customer's id of the wrong shape names no customer: a usage
	// error, found before anything is sent, as a malformed event id is.
	for i, p := range pos {
		if strings.Trim(words[i], "[]") == "MA_…" && !partnerd.IsAccountID(p) {
			return nil, usageError{fmt.Sprintf("MA_… %q must be a customer's auth_id, such as MA_48149cf4\n\n%s", p, f.usage())}
		}
	}
	if a := f.Lookup("account"); a != nil && a.Value.String() != "" && !partnerd.IsAccountID(a.Value.String()) {
		return nil, usageError{fmt.Sprintf("--account %q must be a customer's auth_id, such as MA_48149cf4\n\n%s", a.Value, f.usage())}
	}
	if *f.output != "table" && *f.output != "json" {
		return nil, usageError{fmt.Sprintf("--output %q must be table or json\n\n%s", *f.output, f.usage())}
	}
	return pos, nil
}

// isFlag reports whether a word on the command line is a flag: it starts
// with "-" and is not a number such as -5.
func isFlag(w string) bool {
	if len(w) < 2 || w[0] != '-' {
		return false
	}
	_, err := strconv.ParseFloat(w, 64)
	return err != nil
}

// client returns a client of the server with the credentials given, and
// starts the command's --timeout.
func (f *cmdFlags) client(opts ...client.Option) (*client.Client, error) {
	for _, e := range []struct {
		dst *string
		env string
	}{{f.url, "PARTNERD_URL"}, {f.authID, "PARTNERD_AUTH_ID"}, {f.authToken, "PARTNERD_AUTH_TOKEN"}, {f.timeout, "PARTNERD_TIMEOUT"}} {
		if *e.dst == "" {
			*e.dst = f.getenv(e.env)
		}
	}
	var missing []string
	for _, m := range []struct{ v, name string }{
		{*f.url, "--url (PARTNERD_URL)"}, {*f.authID, "--auth-id (PARTNERD_AUTH_ID)"}, {*f.authToken, "--auth-token (PARTNERD_AUTH_TOKEN)"},
	} {
		if m.v == "" {
			missing = append(missing, m.name)
		}
	}
	if len(missing) > 0 {
		return nil, usageError{"missing " + strings.Join(missing, ", ")}
	}
	if u, err := url.Parse(*f.url); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageError{fmt.Sprintf("--url (PARTNERD_URL) %q must be an http:// or https:// URL, such as https://partnerd.example.com", *f.url)}
	}
	if *f.timeout != "" {
		d, err := time.ParseDuration(*f.timeout)
		if err != nil || d <= 0 {
			return nil, usageError{fmt.Sprintf("--timeout (PARTNERD_TIMEOUT) %q must be a positive duration, such as 20s or 2m", *f.timeout)}
		}
		if f.limit != nil {
			f.limit(d)
		}
	}
	return client.New(*f.url, *f.authID, *f.authToken, opts...), nil
}

// parseClient parses args like parse, then returns the client as client
// does: what nearly every command does first.
func (f *cmdFlags) parseClient(args []string) ([]string, *client.Client, error) {
	pos, err := f.parse(args)
	if err != nil {
		return nil, nil, err
	}
	c, err := f.client()
	return pos, c, err
}

// required is a usage error naming the first of the flags that was not
// given a value, checked before anything is sent.
func (f *cmdFlags) required(names ...string) error {
	for _, name := range names {
		if fl := f.Lookup(name); fl != nil && fl.Value.String() == "" {
			return usageError{fmt.Sprintf("--%s is required\n\n%s", name, f.usage())}
		}
	}
	return nil
}

// idempotencyKey adds the flag of a POST command: the key that makes
// running the command again act once.
func idempotencyKey(f *cmdFlags) *string {
	return f.String("idempotency-key", "", "a key of your own: running the command again with it acts once (default: a new key, kept across the command's retries)")
}

// passwordUsage ends the usage of a password flag.
const passwordUsage = `; "-" reads it from standard input (one line), out of sight of ps`

// secret returns a password flag's value: "-" reads one line of standard
// input, without its line ending.
func secret(name, v string, env environment) (string, error) {
	if v != "-" {
		return v, nil
	}
	line, err := bufio.NewReader(env.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading --%s from standard input: %w", name, err)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", usageError{fmt.Sprintf("--%s -: standard input has no password", name)}
	}
	return line, nil
}

// json reports --output json.
func (f *cmdFlags) json() bool { return *f.output == "json" }

// usage is the command's usage line, summary and flags.
func (f *cmdFlags) usage() string {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: partnerctl %s [flags]", f.Name())
	if f.args != "" {
		b.WriteString(" " + f.args)
	}
	b.WriteString("\n\n")
	for _, c := range commands() {
		if c.name == f.Name() {
			b.WriteString(strings.ToUpper(c.summary[:1]) + c.summary[1:] + ".\n\n")
		}
	}
	b.WriteString("Flags:\n")
	f.SetOutput(&b)
	f.PrintDefaults()
	f.SetOutput(io.Discard)
	return b.String()
}

// day parses a YYYY-MM-DD flag value; "" is the zero time.
func day(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, usageError{fmt.Sprintf("--%s %q must be a day, YYYY-MM-DD", name, v)}
	}
	return t, nil
}

// days are a list's --from-date and --to-date flags.
type days struct{ from, to *string }

func addDays(f *cmdFlags) days {
	return days{
		from: f.String("from-date", "", "first day, YYYY-MM-DD, in the partner's time zone"),
		to:   f.String("to-date", "", "last day, YYYY-MM-DD, in the partner's time zone"),
	}
}

// span returns the days given; a day not given is the zero time.
func (d days) span() (from, to time.Time, err error) {
	if from, err = day("from-date", *d.from); err != nil {
		return time.Time{}, time.Time{}, err
	}
	to, err = day("to-date", *d.to)
	return from, to, err
}

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
