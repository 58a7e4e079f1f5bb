package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var partnerIDShape = regexp.MustCompile(`^PA_[A-Z0-9]{8}$`)

// mustPartnerCreate runs "partner create" and returns its one JSON object.
func mustPartnerCreate(t *testing.T, args ...string) map[string]any {
	t.Helper()
	stdout, stderr, err := runCmd(append([]string{"partner", "create"}, args...)...)
	if err != nil {
		t.Fatalf("partner create %q: %v\nstderr:\n%s", args, err, stderr)
	}
	if n := len(nonEmptyLines(stdout)); n != 1 {
		t.Fatalf("partner create printed %d lines, want 1 JSON object:\n%s", n, stdout)
	}
	var p map[string]any
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.UseNumber()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("partner create output is not JSON: %v\n%s", err, stdout)
	}
	return p
}

// mustMigratedDB returns the path of a new database made by "migrate".
func mustMigratedDB(t *testing.T) string {
	t.Helper()
	db := tempDB(t)
	if _, stderr, err := runCmd("migrate", "--db", db); err != nil {
		t.Fatalf("migrate: %v\nstderr:\n%s", err, stderr)
	}
	return db
}

func TestPartnerCreateAndList(t *testing.T) {
	t.Parallel()
	db := mustMigratedDB(t)
	p := mustPartnerCreate(t, "--db", db, "--name", "Acme Telecom", "--email", "Ops@Acme.example", "--company", "Acme Ltd", "--currency", "usd")
	id, _ := p["auth_id"].(string)
	token, _ := p["auth_token"].(string)
	if !partnerIDShape.MatchString(id) {
		t.Errorf("auth_id = %q, want PA_ + 8 upper-case alphanumerics", id)
	}
	if !tokenShape.MatchString(token) {
		t.Errorf("auth_token = %q, want sk_live_ + ≥32 base62", token)
	}
	want := map[string]any{
		"auth_id": id, "auth_token": token, "name": "Acme Telecom", "email": "ops@acme.example",
		"company": "Acme Ltd", "status": "active", "currency": "USD", "balance": json.Number("0.00"),
		"account_count": json.Number("0"), "created_at": p["created_at"], "timezone": "UTC", "low_balance": json.Number("100.00"),
		"rate_limit": json.Number("0"),
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("partner create output (-want +got):\n%s", diff)
	}

	second := mustPartnerCreate(t, "--db", db, "--name", "Beta", "--email", "beta@example.com")
	if second["currency"] != "INR" || second["company"] != nil {
		t.Errorf("partner create without --currency/--company: currency %v, company %v; want INR, null", second["currency"], second["company"])
	}

	stdout, _, err := runCmd("partner", "list", "--db", db)
	if err != nil {
		t.Fatalf("partner list: %v", err)
	}
	if strings.Contains(stdout, "auth_token") || strings.Contains(stdout, token) || strings.Contains(stdout, "sk_live_") {
		t.Errorf("partner list shows a token:\n%s", stdout)
	}
	var ids []string
	for _, line := range nonEmptyLines(stdout) {
		var row map[string]any
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatalf("partner list line is not JSON: %v\n%s", err, line)
		}
		if row["auth_id"] == id && (row["name"] != "Acme Telecom" || row["currency"] != "USD") {
			t.Errorf("partner list row = %v, want Acme Telecom in USD", row)
		}
		ids = append(ids, row["auth_id"].(string))
	}
	// Both created in the same second: their order is not asserted (see
	// ListPartners, which orders by a one-second timestamp, then by id).
	if diff := cmp.Diff([]string{id, second["auth_id"].(string)}, ids, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("partner list ids (-want +got):\n%s", diff)
	}
}

func TestPartnerCreateBadInput(t *testing.T) {
	t.Parallel()
	db := tempDB(t)
	tests := []struct {
		name string
		args []string
		flag string // the flag the message must name
	}{
		{"missing name", []string{"--db", db, "--email", "a@example.com"}, "--name"},
		{"blank name", []string{"--db", db, "--name", "  ", "--email", "a@example.com"}, "--name"},
		{"missing email", []string{"--db", db, "--name", "A"}, "--email"},
		{"bad email", []string{"--db", db, "--name", "A", "--email", "not-an-address"}, "--email"},
		{"unknown currency", []string{"--db", db, "--name", "A", "--email", "a@example.com", "--currency", "XYZ"}, "--currency"},
		{"unknown flag", []string{"--db", db, "--name", "A", "--email", "a@example.com", "--colour", "red"}, "-colour"},
		// Flags first, positional arguments last: a flag after a
		// positional argument is not parsed, and create takes none.
		{"flag after argument", []string{"--db", db, "--name", "A", "extra", "--email", "a@example.com"}, "extra"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, _, err := runCmd(append([]string{"partner", "create"}, tt.args...)...)
			var ue usageError
			if !errors.As(err, &ue) {
				t.Fatalf("err = %#v, want a usageError", err)
			}
			if code := exitCode(err); code != 2 {
				t.Errorf("exit code %d, want 2", code)
			}
			if !strings.Contains(err.Error(), tt.flag) {
				t.Errorf("message does not name %s:\n%s", tt.flag, err)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
		})
	}
	// Refused before the database was touched: it was not created.
	if _, err := os.Stat(db); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after bad creates, stat %s = %v; want no such file", db, err)
	}
}

// TestMigrate: migrate says what it did (created the file, applied which
// migrations, or nothing to do), and refuses, changing nothing, another
// application's SQLite file.
func TestMigrate(t *testing.T) {
	t.Parallel()
	count, latest := sqliteMigrations(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "p.db")
	for _, tt := range []struct{ dsn, want string }{
		{db, fmt.Sprintf("created %s and applied %d migrations (version %d)\n", db, count, latest)},
		{db, fmt.Sprintf("already up to date at version %d\n", latest)},
		{"sqlite://" + db, fmt.Sprintf("already up to date at version %d\n", latest)},
	} {
		stdout, stderr, err := runCmd("migrate", "--db", tt.dsn)
		if err != nil {
			t.Fatalf("migrate --db %s: %v\nstderr:\n%s", tt.dsn, err, stderr)
		}
		if stdout != tt.want {
			t.Errorf("migrate --db %s: stdout = %q, want %q", tt.dsn, stdout, tt.want)
		}
	}

	// An empty file (made by an installer, say) is partnerd's to fill.
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err := runCmd("migrate", "--db", empty)
	if want := fmt.Sprintf("applied %d migrations (version 0 → %d)\n", count, latest); err != nil || stdout != want {
		t.Errorf("migrate on an empty file: %v, stdout %q, want %q\nstderr:\n%s", err, stdout, want, stderr)
	}

	// Another application's database is left as it was.
	foreign := filepath.Join(dir, "foreign.db")
	rawSQL(t, foreign, `CREATE TABLE notes (body TEXT)`, `INSERT INTO notes VALUES ('keep me')`)
	before, err := os.ReadFile(foreign)
	if err != nil {
		t.Fatal(err)
	}
	names := dirNames(t, dir)
	stdout, _, err = runCmd("migrate", "--db", foreign)
	if err == nil || exitCode(err) != 1 {
		t.Fatalf("migrate on another application's database: %v (stdout %q), want exit 1", err, stdout)
	}
	if want := foreign + " holds another application's tables (notes) and no partners table"; !strings.Contains(err.Error(), want) {
		t.Errorf("message does not contain %q:\n%v", want, err)
	}
	if after, err := os.ReadFile(foreign); err != nil || !bytes.Equal(before, after) {
		t.Errorf("migrate changed another application's database (%v)", err)
	}
	if after := dirNames(t, dir); !slices.Equal(names, after) {
		t.Errorf("migrate on another application's database changed the directory: %v, then %v", names, after)
	}
}

// sqliteMigrations counts partnerd's SQLite migrations and returns the
// latest one's version.
func sqliteMigrations(t *testing.T) (count int, latest int64) {
	t.Helper()
	files, err := filepath.Glob("../../internal/sqlstore/migrations/sqlite/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations found: %v", err)
	}
	last := filepath.Base(files[len(files)-1])
	latest, err = strconv.ParseInt(last[:strings.IndexByte(last, '_')], 10, 64)
	if err != nil {
		t.Fatalf("last migration %s: %v", last, err)
	}
	return len(files), latest
}

// TestCommandErrors runs every operator command with a usage error (exit
// 2) and with a failure (exit 1).
func TestCommandErrors(t *testing.T) {
	t.Parallel()
	db := tempDB(t)
	// A database with one partner and nothing else, for fund and copy.
	full := mustMigratedDB(t)
	out, _, err := runCmd("partner", "create", "--db", full, "--name", "Acme", "--email", "ops@acme.example")
	if err != nil {
		t.Fatalf("partner create: %v", err)
	}
	var p struct {
		AuthID string `json:"auth_id"`
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("partner create printed %q: %v", out, err)
	}
	missing := db + "/nope/p.db"
	// Port 1 refuses at once; the password must not reach the message.
	const pg = "postgres://partnerd:pw-s3cret@127.0.0.1:1/partnerd?connect_timeout=5"
	tests := []struct {
		name  string
		args  []string
		usage bool   // exit code 2
		want  string // the message must contain it
	}{
		{"unknown command", []string{"frobnicate"}, true, `unknown command "frobnicate"`},
		{"partner without subcommand", []string{"partner"}, true, "needs a subcommand"},
		{"unknown partner subcommand", []string{"partner", "delete"}, true, `unknown partner subcommand "delete"`},
		{"ledger without verify", []string{"ledger"}, true, "ledger verify"},

		{"serve: mysql url", []string{"serve", "--db", "mysql://x", "--addr", "127.0.0.1:0"}, true, `scheme "mysql"`},
		{"serve: argument", []string{"serve", "--db", db, "now"}, true, "now"},
		{"serve: postgres without key", []string{"serve", "--addr", "127.0.0.1:0", "--db", pg}, true, "PARTNERD_SECRET_KEY"},
		{"serve: missing directory", []string{"serve", "--addr", "127.0.0.1:0", "--db", missing}, false, "nope"},

		{"migrate: mysql url", []string{"migrate", "--db", "mysql://x"}, true, `scheme "mysql"`},
		{"migrate: argument before a flag", []string{"migrate", "extra", "--db", db}, true, "extra"},
		{"migrate: postgres unreachable", []string{"migrate", "--db", pg}, false, "connect to PostgreSQL"},
		{"migrate: missing directory", []string{"migrate", "--db", missing}, false, "database directory"},

		{"partner create: mysql url", []string{"partner", "create", "--db", "mysql://x", "--name", "A", "--email", "a@example.com"}, true, `scheme "mysql"`},
		{"partner create: unknown flag", []string{"partner", "create", "--db", db, "--colour", "red"}, true, "colour"},
		{"partner create: missing directory", []string{"partner", "create", "--db", missing, "--name", "A", "--email", "a@example.com"}, false, "does not exist"},

		{"partner list: mysql url", []string{"partner", "list", "--db", "mysql://x"}, true, `scheme "mysql"`},
		{"partner list: argument", []string{"partner", "list", "--db", db, "extra"}, true, "extra"},
		{"partner list: postgres unreachable", []string{"partner", "list", "--db", pg}, false, "connect to PostgreSQL"},

		{"partner fund: mysql url", []string{"partner", "fund", "--db", "mysql://x", p.AuthID, "10.00"}, true, `scheme "mysql"`},
		{"partner fund: missing amount", []string{"partner", "fund", "--db", full, p.AuthID}, true, "AMOUNT"},
		{"partner fund: bad amount", []string{"partner", "fund", "--db", full, p.AuthID, "ten"}, true, "AMOUNT"},
		{"partner fund: too many decimals", []string{"partner", "fund", "--db", full, p.AuthID, "10.001"}, true, "AMOUNT"},
		{"partner fund: unknown partner", []string{"partner", "fund", "--db", full, "PA_AAAAAAAA", "10.00"}, false, "PA_AAAAAAAA"},

		{"ledger verify: mysql url", []string{"ledger", "verify", "--db", "mysql://x"}, true, `scheme "mysql"`},
		{"ledger verify: argument", []string{"ledger", "verify", "--db", db, "extra"}, true, "extra"},
		{"ledger verify: missing directory", []string{"ledger", "verify", "--db", missing}, false, "does not exist"},

		{"copy: mysql source", []string{"copy", "--from", "mysql://x", "--to", db}, true, `scheme "mysql"`},
		{"copy: mysql target", []string{"copy", "--from", full, "--to", "mysql://x"}, true, `scheme "mysql"`},
		{"copy: missing target", []string{"copy", "--from", full}, true, "usage: partnerd copy"},
		{"copy: argument", []string{"copy", "--from", full, "--to", db, "extra"}, true, "extra"},
		{"copy: missing source directory", []string{"copy", "--from", missing, "--to", db}, false, "does not exist"},
		{"copy: target not empty", []string{"copy", "--from", full, "--to", full}, false, "not empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runCmd(tt.args...)
			if err == nil {
				t.Fatalf("run %q succeeded, want an error", tt.args)
			}
			wantCode := 1
			if tt.usage {
				wantCode = 2
			}
			if code := exitCode(err); code != wantCode {
				t.Errorf("exit code %d, want %d (err %v)", code, wantCode, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("message does not contain %q:\n%s", tt.want, err)
			}
			if strings.Contains(err.Error(), "pw-s3cret") {
				t.Errorf("message shows the database password:\n%s", err)
			}
		})
	}
	// Every command has both kinds of row.
	for _, cmd := range []string{"serve", "migrate", "partner create", "partner list", "partner fund", "ledger verify", "copy"} {
		var usage, failure bool
		for _, tt := range tests {
			if strings.HasPrefix(tt.name, cmd+":") {
				usage, failure = usage || tt.usage, failure || !tt.usage
			}
		}
		if !usage || !failure {
			t.Errorf("%s has a usage-error row %v and a failure row %v; want both", cmd, usage, failure)
		}
	}
}

func TestPartnerSet(t *testing.T) {
	t.Parallel()
	db := mustMigratedDB(t)
	p := mustPartnerCreate(t, "--db", db, "--name", "Yen Telecom", "--email", "ops@yen.example", "--currency", "JPY")
	id := p["auth_id"].(string)
	if p["timezone"] != "UTC" || p["low_balance"] != json.Number("100") {
		t.Errorf("new partner: timezone %v, low_balance %v; want UTC and 100 (100 yen)", p["timezone"], p["low_balance"])
	}
	stdout, stderr, err := runCmd("partner", "set", "--db", db, "--timezone", "Asia/Tokyo", "--low-balance", "2500", "--status", "inactive", id)
	if err != nil {
		t.Fatalf("partner set: %v\n%s", err, stderr)
	}
	var got map[string]any
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.UseNumber()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("partner set output is not JSON: %v\n%s", err, stdout)
	}
	if got["timezone"] != "Asia/Tokyo" || got["low_balance"] != json.Number("2500") || got["status"] != "inactive" {
		t.Errorf("partner set printed %v", got)
	}
	// Only what is given changes.
	if _, _, err := runCmd("partner", "set", "--db", db, "--status", "active", id); err != nil {
		t.Fatal(err)
	}
	stdout, _, _ = runCmd("partner", "list", "--db", db)
	if !strings.Contains(stdout, `"status":"active"`) || !strings.Contains(stdout, `"timezone":"Asia/Tokyo"`) || !strings.Contains(stdout, `"low_balance":2500`) {
		t.Errorf("partner list after a second set: %s", stdout)
	}
	for _, args := range [][]string{
		{"--timezone", "Mars/Olympus"}, {"--status", "paused"}, {"--low-balance", "-1"}, {"--low-balance", "1.5"}, {},
	} {
		_, _, err := runCmd(append(append([]string{"partner", "set", "--db", db}, args...), id)...)
		if code := exitCode(err); code != 2 {
			t.Errorf("partner set %q: exit %d (%v), want 2", args, code, err)
		}
	}
	if _, _, err := runCmd("partner", "set", "--db", db, "--status", "active", "PA_UNKNOWN0"); exitCode(err) != 1 {
		t.Errorf("partner set on an unknown partner: %v, want exit 1", err)
	}
}
