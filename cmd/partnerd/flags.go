package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// defaultDB is the embedded default: a SQLite file in the working directory.
const defaultDB = "./partnerd.db"

// cmdFlags is one command's flag set. A mistake is a usageError (exit 2)
// that shows the command's usage; -h or --help prints the usage, with the
// command's own flags only, on stdout and ends the command (exit 0).
type cmdFlags struct {
	*flag.FlagSet
	// args names the positional arguments after the flags, one word each
	// ("PA_… AMOUNT"): parse requires exactly that many.
	args   string
	stdout io.Writer
	// twins are the flags' environment variables (twin), applied by parse.
	twins  []twin
	getenv func(string) string
}

// twin is a flag's environment variable.
type twin struct{ flag, env string }

func newFlags(name, args string, stdout io.Writer) *cmdFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// parse returns the error with the usage; the flag package prints nothing.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &cmdFlags{FlagSet: fs, args: args, stdout: stdout}
}

// db adds --db with its environment twin; every command but copy has it.
func (f *cmdFlags) db(getenv func(string) string) *string {
	p := f.String("db", defaultDB, "database: a SQLite file path, sqlite:///abs/path or postgres://…")
	f.twin(getenv, "db", "PARTNERD_DB")
	return p
}

// twin gives the flag named name the environment variable env: its value,
// when set and not empty, replaces the default, and the flag, when given,
// replaces both. The usage says so; the default shown stays the built-in
// one.
func (f *cmdFlags) twin(getenv func(string) string, name, env string) {
	f.getenv = getenv
	f.twins = append(f.twins, twin{name, env})
	f.Lookup(name).Usage += " (env " + env + ")"
}

// applyTwins sets each flag whose environment variable is set.
func (f *cmdFlags) applyTwins() error {
	for _, t := range f.twins {
		v := f.getenv(t.env)
		if v == "" {
			continue
		}
		if err := f.Set(t.flag, v); err != nil {
			return usageError{fmt.Sprintf("%s=%q: %v\n\n%s", t.env, v, err, f.usage())}
		}
	}
	return nil
}

// usage is the command's usage line, summary and flags.
func (f *cmdFlags) usage() string {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: partnerd %s [flags]", f.Name())
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

// parse parses args and requires the positional arguments f.args names
// after the flags. Go's flag package stops at the first positional
// argument, so a flag placed after one would otherwise be silently ignored.
func (f *cmdFlags) parse(args []string) error {
	if err := f.applyTwins(); err != nil {
		return err
	}
	if err := f.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(f.stdout, f.usage())
			return errHelp
		}
		return usageError{err.Error() + "\n\n" + f.usage()}
	}
	// A --db the store cannot take is refused before the command does
	// anything (reads a file, touches another database).
	if db := f.Lookup("db"); db != nil {
		if _, err := sqlstore.ParseSource(db.Value.String()); err != nil {
			return usageError{err.Error()}
		}
	}
	nargs := len(strings.Fields(f.args))
	if f.NArg() == nargs {
		return nil
	}
	if nargs == 0 {
		return usageError{fmt.Sprintf("%s takes flags only (flags come first), got %q\n\n%s", f.Name(), f.Args(), f.usage())}
	}
	return usageError{fmt.Sprintf("%s takes %s after its flags, got %q\n\n%s", f.Name(), partnerd.Count(nargs, "argument", "arguments"), f.Args(), f.usage())}
}
