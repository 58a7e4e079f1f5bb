package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"flag"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/httpapi"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/ with the current output")

// server is a real partnerd API on a real SQLite store, with one partner
// whose credentials the environment of ctl carries.
type server struct {
	db        *sqlstore.DB
	url       string
	partnerID string
	token     string
	// env adds to or overrides the environment's variables; stdin is
	// what the command reads from standard input.
	env   map[string]string
	stdin string
}

// via returns a copy of s whose commands go to url instead (a proxy in
// front of it).
func (s *server) via(url string) *server {
	c := *s
	c.url = url
	return &c
}

func mustServer(t *testing.T) *server {
	t.Helper()
	ctx := context.Background()
	key := make([]byte, 32)
	rand.Read(key)
	db, err := sqlstore.Open(ctx, sqlstore.Source{Driver: "sqlite", Path: filepath.Join(t.TempDir(), "p.db")},
		sqlstore.Options{SecretKey: key})
	if err != nil {
		t.Fatalf("sqlstore.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	api := httpapi.NewServer(httpapi.Config{Accounts: db, Lifecycle: db, Partners: db, Ledger: db, Numbers: db,
		Rates: db, Idempotency: db, Switches: db, SIP: db, Calls: db, CDRs: db, Overview: db, Events: db, Webhooks: db,
		AutoTopups: db, Audit: db})
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	p, token, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Acme Telecom", Email: "ops@acme.example"})
	if err != nil {
		t.Fatalf("CreatePartner: %v", err)
	}
	return &server{db: db, url: srv.URL, partnerID: p.ID, token: token}
}

// result is what one run of partnerctl printed, and its exit code.
type result struct {
	stdout, stderr string
	code           int
}

// ctl runs partnerctl with args against s (nil: no server configured).
func (s *server) ctl(t *testing.T, args ...string) result {
	t.Helper()
	return s.ctlEnv(t, false, args...)
}

// ctlEnv is ctl with stderr taken for a terminal when terminal is set.
func (s *server) ctlEnv(t *testing.T, terminal bool, args ...string) result {
	t.Helper()
	vars := map[string]string{}
	var stdin string
	if s != nil {
		vars = map[string]string{"PARTNERD_URL": s.url, "PARTNERD_AUTH_ID": s.partnerID, "PARTNERD_AUTH_TOKEN": s.token}
		for k, v := range s.env {
			vars[k] = v
		}
		stdin = s.stdin
	}
	var stdout, stderr bytes.Buffer
	env := environment{getenv: func(k string) string { return vars[k] }, stdin: strings.NewReader(stdin), stdout: &stdout,
		stderr: &stderr, terminal: terminal}
	err := run(context.Background(), args, env)
	if err != nil {
		printError(&stderr, err)
	}
	r := result{stdout: stdout.String(), stderr: stderr.String(), code: exitCode(err)}
	// Whatever happened, a person reads it: never a Go panic or trace.
	for _, bad := range []string{"goroutine ", "panic:", ".go:"} {
		if strings.Contains(r.stderr, bad) {
			t.Errorf("partnerctl %s: stderr has %q:\n%s", strings.Join(args, " "), bad, r.stderr)
		}
	}
	return r
}

// mustOK runs partnerctl and fails the test unless it exits 0.
func (s *server) mustOK(t *testing.T, args ...string) result {
	t.Helper()
	r := s.ctl(t, args...)
	if r.code != exitOK {
		t.Fatalf("partnerctl %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// golden compares got with testdata/name.golden, or rewrites the file
// under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}

// TestHelp checks every help text against its golden file: the command
// list, each group's, and each command's flags.
func TestHelp(t *testing.T) {
	var s *server // help needs no server
	check := func(name string, args ...string) {
		t.Helper()
		r := s.ctl(t, args...)
		if r.code != exitOK || r.stderr != "" {
			t.Errorf("partnerctl %s: exit %d, stderr %q; want 0 and nothing", strings.Join(args, " "), r.code, r.stderr)
		}
		golden(t, name, r.stdout)
	}
	check("help", "--help")
	groups := map[string]bool{}
	for _, c := range commands() {
		name := strings.ReplaceAll(c.name, " ", "_")
		check("help_"+name, append(strings.Fields(c.name), "--help")...)
		if g, _, ok := strings.Cut(c.name, " "); ok && !groups[g] {
			groups[g] = true
			check("help_"+g, g, "--help")
		}
	}
	// "help COMMAND" is "COMMAND --help".
	if a, b := s.ctl(t, "help", "accounts", "list"), s.ctl(t, "accounts", "list", "--help"); a.stdout != b.stdout {
		t.Errorf("help accounts list differs from accounts list --help")
	}
	// No golden file is left over from a command that no longer exists.
	files, _ := filepath.Glob(filepath.Join("testdata", "help*.golden"))
	want := 1 + len(commands()) + len(groups)
	if len(files) != want {
		t.Errorf("testdata has %d help golden files, want %d: remove the stale ones", len(files), want)
	}
}

func TestUsageErrors(t *testing.T) {
	s := mustServer(t)
	tests := []struct {
		args []string
		want string // in stderr
	}{
		{nil, "usage: partnerctl COMMAND"},
		{[]string{"nope"}, `unknown command "nope"`},
		{[]string{"accounts"}, "accounts needs a subcommand"},
		{[]string{"accounts", "nope"}, `unknown accounts subcommand "nope"`},
		{[]string{"accounts", "get"}, "want 1 argument (MA_…), got 0"},
		{[]string{"accounts", "get", "MA_00000000", "extra"}, "want 1 argument (MA_…), got 2"},
		{[]string{"accounts", "list", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"accounts", "list", "--output", "yaml"}, `--output "yaml" must be table or json`},
		{[]string{"transfer", "MA_00000000", "12.345"}, `AMOUNT "12.345" must be a positive decimal with at most 2 decimals`},
		{[]string{"transfer", "MA_00000000", "-5"}, "must be a positive decimal"},
		{[]string{"cdrs", "export"}, "--file is required"},
		{[]string{"cdrs", "list", "--start-date", "yesterday"}, `--start-date "yesterday" must be a day, YYYY-MM-DD`},
		{[]string{"transactions", "--partner", "--account", "MA_00000000"}, "--partner and --account exclude each other"},
		// A customer's id of the wrong shape is refused before anything is sent.
		{[]string{"accounts", "get", "MA_zzz"}, `MA_… "MA_zzz" must be a customer's auth_id`},
		{[]string{"transfer", "MA_zzz", "1.00"}, `MA_… "MA_zzz" must be a customer's auth_id`},
		{[]string{"balance", "PA_TQA0LT5Y"}, `MA_… "PA_TQA0LT5Y" must be a customer's auth_id`},
		{[]string{"transactions", "--account", "MA_zzz"}, `--account "MA_zzz" must be a customer's auth_id`},
	}
	for _, tt := range tests {
		r := s.ctl(t, tt.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("partnerctl %s: exit %d, stderr:\n%s\nwant exit %d and %q", strings.Join(tt.args, " "), r.code, r.stderr, exitUsage, tt.want)
		}
	}
	// Without credentials nothing is sent.
	var none *server
	if r := none.ctl(t, "me"); r.code != exitUsage || !strings.Contains(r.stderr, "missing --url (PARTNERD_URL)") {
		t.Errorf("me without configuration: exit %d, stderr %q", r.code, r.stderr)
	}
}
