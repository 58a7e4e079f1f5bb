package main

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestKeyValueDSNRefused: a libpq key/value connection string given as
// --db (or PARTNERD_DB, or copy's --from and --to) is a usage error that
// says to write it as a postgres:// URL, never echoes the password, and
// creates nothing: taken as a file name it would become a new SQLite
// database named after the password, in the working directory.
func TestKeyValueDSNRefused(t *testing.T) {
	t.Parallel()
	bin := crashBuildBinary(t)
	env := crashEnv()
	const kv = "host=127.0.0.1 port=40927 user=postgres password=KVSecret dbname=x"
	dsns := []string{kv, "dbname=partnerd", "password=KVSecret", "user=postgres host=/var/run/postgresql"}

	// Every command with --db, found by its help, with placeholder arguments.
	usageLine := regexp.MustCompile(`(?m)^usage: partnerd [a-z -]+\[flags\](.*)$`)
	var runs [][]string
	for _, c := range commands() {
		name := strings.Fields(c.name)
		help, _, err := runCmd(append(name, "--help")...)
		if err != nil {
			t.Fatalf("%s --help: %v", c.name, err)
		}
		if !strings.Contains(help, "\n  -db ") {
			continue
		}
		m := usageLine.FindStringSubmatch(help)
		if m == nil {
			t.Fatalf("%s --help has no usage line:\n%s", c.name, help)
		}
		for _, dsn := range dsns {
			args := append(name[:len(name):len(name)], "--db", dsn)
			if strings.Contains(help, "\n  -partner ") {
				args = append(args, "--partner", "PA_AAAAAAAA")
			}
			if c.name == "serve" {
				args = append(args, "--addr", "127.0.0.1:0")
			}
			runs = append(runs, append(args, strings.Fields(m[1])...))
		}
	}
	if len(runs) < 15*len(dsns) {
		t.Fatalf("found %d commands with --db, want every operator command", len(runs)/len(dsns))
	}
	for _, dsn := range dsns {
		runs = append(runs,
			[]string{"copy", "--from", dsn, "--to", "target.db"},
			[]string{"copy", "--from", "source.db", "--to", dsn})
	}
	for _, args := range runs {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			// Taken as a file, serve would serve it until stopped.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, args...)
			cmd.Env, cmd.Dir = env, dir
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 2 {
				t.Errorf("exit %v, want 2\nstdout:\n%s\nstderr:\n%s", err, &stdout, &stderr)
			}
			if !strings.Contains(stderr.String(), "key/value connection string") || !strings.Contains(stderr.String(), "postgres://USER:PASSWORD@HOST") {
				t.Errorf("stderr does not say to write a postgres:// URL:\n%s", &stderr)
			}
			if strings.Contains(stdout.String()+stderr.String(), "KVSecret") {
				t.Errorf("the password reached the output:\n%s%s", &stdout, &stderr)
			}
			if names := dirNames(t, dir); len(names) != 0 {
				t.Errorf("the working directory got %q", names)
			}
		})
	}

	// The environment twin too.
	dir := t.TempDir()
	cmd := exec.Command(bin, "ledger", "verify")
	cmd.Env, cmd.Dir = append(env[:len(env):len(env)], "PARTNERD_DB="+kv), dir
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(string(out), "postgres://USER") || strings.Contains(string(out), "KVSecret") {
		t.Errorf("PARTNERD_DB=%q ledger verify: %v, want exit 2 asking for a postgres:// URL without the password\n%s", kv, err, out)
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("the working directory got %q", names)
	}
}
