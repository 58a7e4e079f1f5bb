package main

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/client"
)

// TestOperatorEdges runs the real binary through the edges of the operator
// commands: help, databases that are not there or not partnerd's,
// duplicate partner emails, an empty partner list, and what ledger verify
// says about a corrupted database. Each case names its exit code, stable
// parts of its output, and the files it may add to the directory: any
// other file (a database, a .migrate-lock, a key file) fails it.
func TestOperatorEdges(t *testing.T) {
	t.Parallel()
	bin := crashBuildBinary(t)
	env := crashEnv()
	dir := t.TempDir()
	at := func(name string) string { return filepath.Join(dir, name) }
	must := func(args ...string) string {
		t.Helper()
		out, errOut, code := crashRunEnv(t, bin, env, args...)
		if code != 0 {
			t.Fatalf("partnerd %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
		return out
	}
	createPartner := func(db, name, email string) string {
		t.Helper()
		var p struct {
			AuthID string `json:"auth_id"`
		}
		if err := json.Unmarshal([]byte(must("partner", "create", "--db", db, "--name", name, "--email", email)), &p); err != nil {
			t.Fatal(err)
		}
		return p.AuthID
	}

	// Databases that are not partnerd's: none, an empty file, another program's.
	if err := os.WriteFile(at("empty.db"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	rawSQL(t, at("foreign.db"), `CREATE TABLE notes (body TEXT)`)
	// partnerd's: one without partners, one with a funded and an idle
	// partner, and two copies of the latter corrupted around the store.
	must("migrate", "--db", at("blank.db"))
	must("migrate", "--db", at("good.db"))
	acme := createPartner(at("good.db"), "Acme", "ops@acme.example")
	idle := createPartner(at("good.db"), "Idle", "idle@example.com")
	must("partner", "fund", "--db", at("good.db"), acme, "100.00")
	copyFile(t, at("good.db"), at("drift.db"))
	rawSQL(t, at("drift.db"), `UPDATE wallets SET balance = 1 WHERE id = '`+idle+`'`)
	copyFile(t, at("good.db"), at("orphan.db"))
	rawSQL(t, at("orphan.db"), `DROP TRIGGER wallets_no_delete`, `DELETE FROM wallets WHERE id = '`+idle+`'`)

	type testCase struct {
		name    string
		args    []string
		code    int
		stdout  []string // each must appear in stdout
		stderr  []string // each must appear in stderr
		flags   []string // help: exactly the flags it lists
		creates []string // the files it adds to dir
	}
	tests := []testCase{
		{name: "partnerd --help", args: []string{"--help"}, stdout: []string{"Commands:", "partner fund", "ledger verify", "copy"}},
		{name: "partnerd -h", args: []string{"-h"}, stdout: []string{"Commands:", "partner fund"}},
		{name: "partnerd help", args: []string{"help"}, stdout: []string{"Commands:", "partner fund"}},
		{name: "partner --help", args: []string{"partner", "--help"}, stdout: []string{"partner create", "partner list", "partner fund"}},
		{name: "ledger --help", args: []string{"ledger", "--help"}, stdout: []string{"ledger verify"}},
		{name: "serve --help", args: []string{"serve", "--help"}, stdout: []string{"usage: partnerd serve"},
			flags: []string{"addr", "auth-failure-limit", "db", "metrics-addr", "metrics-allow", "rate-limit", "shutdown-delay",
				"sip-realm", "switch-rate-limit", "webhook-allow-private", "webhook-concurrency", "webhook-lease"}},
		{name: "migrate --help", args: []string{"migrate", "--help"}, stdout: []string{"usage: partnerd migrate"}, flags: []string{"db"}},
		{name: "partner create --help", args: []string{"partner", "create", "--help"}, stdout: []string{"usage: partnerd partner create"},
			flags: []string{"company", "currency", "db", "email", "name"}},
		{name: "partner list -h", args: []string{"partner", "list", "-h"}, stdout: []string{"usage: partnerd partner list"}, flags: []string{"db"}},
		{name: "partner fund --help", args: []string{"partner", "fund", "--help"}, stdout: []string{"usage: partnerd partner fund [flags] PA_… AMOUNT"},
			flags: []string{"db", "description"}},
		{name: "ledger verify --help", args: []string{"ledger", "verify", "--help"}, stdout: []string{"usage: partnerd ledger verify"}, flags: []string{"db"}},
		{name: "copy --help", args: []string{"copy", "--help"}, stdout: []string{"usage: partnerd copy"}, flags: []string{"from", "to"}},
		{name: "help copy", args: []string{"help", "copy"}, stdout: []string{"usage: partnerd copy"}, flags: []string{"from", "to"}},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, stderr: []string{`unknown command "frobnicate"`, "partner fund", "ledger verify"}},
		{name: "partner alone", args: []string{"partner"}, code: 2, stderr: []string{"needs a subcommand", "partner create"}},
		{name: "unknown partner subcommand", args: []string{"partner", "delete"}, code: 2, stderr: []string{`unknown partner subcommand "delete"`, "partner list"}},
		{name: "ledger alone", args: []string{"ledger"}, code: 2, stderr: []string{"ledger verify"}},
		{name: "unknown flag", args: []string{"partner", "list", "--colour", "red"}, code: 2, stderr: []string{"-colour", "usage: partnerd partner list"}},

		{name: "migrate creates", args: []string{"migrate", "--db", at("new.db")}, stdout: []string{"created " + at("new.db") + " and applied "}, creates: []string{"new.db"}},
		{name: "migrate again", args: []string{"migrate", "--db", at("new.db")}, stdout: []string{"already up to date at version "}},
		// Nothing installs partnerd's schema into another application's database.
		{name: "migrate: foreign.db", args: []string{"migrate", "--db", at("foreign.db")}, code: 1,
			stderr: []string{"foreign.db holds another application's tables (notes) and no partners table"}},
		{name: "serve: foreign.db", args: []string{"serve", "--addr", "127.0.0.1:0", "--db", at("foreign.db")}, code: 1,
			stderr: []string{"foreign.db holds another application's tables (notes) and no partners table"}},
		{name: "copy: into foreign.db", args: []string{"copy", "--from", at("good.db"), "--to", at("foreign.db")}, code: 1,
			stderr: []string{"foreign.db holds another application's tables (notes) and no partners table"}},
		{name: "partner list: none", args: []string{"partner", "list", "--db", at("blank.db")}, stderr: []string{"no partners"}},
		{name: "partner create: email taken", args: []string{"partner", "create", "--db", at("good.db"), "--name", "Again", "--email", "OPS@acme.example"},
			code: 1, stderr: []string{partnerd.ECEmailTaken, "ops@acme.example"}},
		{name: "ledger verify: healthy", args: []string{"ledger", "verify", "--db", at("good.db")}, stdout: []string{"ok   I9", "checked 3 wallets"}},
		{name: "ledger verify: balance drift", args: []string{"ledger", "verify", "--db", at("drift.db")}, code: 1,
			stdout: []string{"FAIL I3", "wallet " + idle + " has balance 0.01 INR but its entries sum to 0.00 INR"}},
		{name: "ledger verify: wallet deleted", args: []string{"ledger", "verify", "--db", at("orphan.db")}, code: 1,
			stdout: []string{"FAIL I9", "partner " + idle + " has no wallet"}, stderr: []string{"I9"}},
		{name: "copy: into a new file", args: []string{"copy", "--from", at("good.db"), "--to", at("copy.db")},
			stdout: []string{"ok   I9", "source's secret key"}, creates: []string{"copy.db"}},
	}
	// Every command but serve and migrate refuses each database that is
	// not partnerd's, and creates nothing: not the database, not a lock,
	// not a key file (copy: neither the source nor the target).
	for _, db := range []struct{ name, why string }{
		{"typo.db", "typo.db does not exist"},
		{"empty.db", "empty.db is not a partnerd database"},
		{"foreign.db", "foreign.db is not a partnerd database"},
	} {
		for _, args := range [][]string{
			{"ledger", "verify", "--db", at(db.name)},
			{"partner", "list", "--db", at(db.name)},
			{"partner", "create", "--db", at(db.name), "--name", "A", "--email", "a@example.com"},
			{"partner", "fund", "--db", at(db.name), acme, "1.00"},
			{"copy", "--from", at(db.name), "--to", at("target.db")},
		} {
			tests = append(tests, testCase{name: strings.Join(args[:2], " ") + ": " + db.name, args: args, code: 1,
				stderr: []string{db.why, "only partnerd serve and partnerd migrate create a database"}})
		}
	}
	flagLine := regexp.MustCompile(`(?m)^  -([a-z-]+)`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := dirNames(t, dir)
			stdout, stderr, code := crashRunEnv(t, bin, env, tt.args...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			for _, want := range tt.stdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout does not contain %q:\n%s", want, stdout)
				}
			}
			for _, want := range tt.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr does not contain %q:\n%s", want, stderr)
				}
			}
			if tt.flags != nil {
				var flags []string
				for _, m := range flagLine.FindAllStringSubmatch(stdout, -1) {
					flags = append(flags, m[1])
				}
				if diff := cmp.Diff(tt.flags, flags); diff != "" {
					t.Errorf("help lists other flags (-want +got):\n%s\n%s", diff, stdout)
				}
			}
			var added []string
			for _, name := range dirNames(t, dir) {
				if !slices.Contains(before, name) {
					added = append(added, name)
				}
			}
			if diff := cmp.Diff(tt.creates, added); diff != "" {
				t.Errorf("files added to the directory (-want +got):\n%s", diff)
			}
		})
	}
}

// TestKeyTrap serves a copy of a database, whose customer tokens are
// sealed under the source's key file: without that key (none, or another)
// serve refuses to start, naming the fix, and makes no key file; with it,
// the copy serves its customers' tokens and balances.
func TestKeyTrap(t *testing.T) {
	t.Parallel()
	bin := crashBuildBinary(t)
	env := crashEnv()
	src := filepath.Join(t.TempDir(), "src.db")
	s := crashStartEnv(t, bin, src, env)
	partnerID, token := mustCredentials(t, s.stdout.String())
	api := client.New(s.url, partnerID, token)
	a, err := api.CreateAccount(context.Background(), "", partnerd.AccountInput{
		Name: "Credresolve", Email: "admin@credresolve.com", Password: "SecurePass@123", Phone: "9431538535", Country: "IN",
	})
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	if code := s.terminate(t, 30*time.Second); code != 0 {
		t.Fatalf("serve exited %d after SIGTERM", code)
	}
	keyHex, err := os.ReadFile(src + ".key")
	if err != nil {
		t.Fatalf("the first start made no key file: %v", err)
	}

	copyDir := t.TempDir()
	dst := filepath.Join(copyDir, "copy.db")
	if out, errOut, code := crashRunEnv(t, bin, env, "copy", "--from", src, "--to", dst); code != 0 {
		t.Fatalf("copy: exit %d\n%s%s", code, out, errOut)
	}
	otherKey := hex.EncodeToString(make([]byte, 32))
	for _, tt := range []struct {
		name    string
		env     []string
		keyFile string // written beside the copy first
		stderr  []string
	}{
		{"no key", env, "", []string{"no secret key was given", "PARTNERD_SECRET_KEY", dst + ".key"}},
		{"another key", append(env[:len(env):len(env)], "PARTNERD_SECRET_KEY="+otherKey), "",
			[]string{"cannot open", "PARTNERD_SECRET_KEY to the key this database was created with"}},
		{"another key file", env, otherKey, []string{"the key file " + dst + ".key holds another key", "PARTNERD_SECRET_KEY"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.keyFile != "" {
				if err := os.WriteFile(dst+".key", []byte(tt.keyFile+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				defer os.Remove(dst + ".key")
			}
			before := dirNames(t, copyDir)
			addr, err := crashFreeAddr()
			if err != nil {
				t.Fatal(err)
			}
			_, stderr, code := crashRunEnv(t, bin, tt.env, "serve", "--addr", addr, "--db", dst)
			if code != 1 {
				t.Fatalf("serve on the copy: exit %d, want 1\nstderr:\n%s", code, stderr)
			}
			for _, want := range tt.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr does not contain %q:\n%s", want, stderr)
				}
			}
			if after := dirNames(t, copyDir); !slices.Equal(before, after) {
				t.Errorf("a refused start changed the directory: %v, then %v", before, after)
			}
		})
	}

	keyEnv := append(env[:len(env):len(env)], "PARTNERD_SECRET_KEY="+strings.TrimSpace(string(keyHex)))
	s = crashStartEnv(t, bin, dst, keyEnv)
	api = client.New(s.url, partnerID, token)
	got, err := api.Account(context.Background(), "", a.AuthID)
	if err != nil {
		t.Fatalf("GET /accounts/%s on the copy: %v", a.AuthID, err)
	}
	if got.AuthToken != a.AuthToken {
		t.Errorf("the copy's token of %s = %q, want %q", a.AuthID, got.AuthToken, a.AuthToken)
	}
	if _, err := api.AccountBalance(context.Background(), "", a.AuthID); err != nil {
		t.Errorf("GET /accounts/%s/balance on the copy: %v", a.AuthID, err)
	}
}

// dirNames lists the names in dir, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// rawSQL runs statements on the SQLite file at path over a plain
// connection: around the store, its foreign keys and its pragmas, as a
// stray tool would.
func rawSQL(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// copyFile copies a closed SQLite database file.
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestOperatorEdgesPostgres: on PostgreSQL too, operator commands refuse
// a database that is not partnerd's (an empty one) and leave it empty,
// and partner emails are unique.
func TestOperatorEdgesPostgres(t *testing.T) {
	dsn := pgFreshDSN(t)
	t.Parallel()
	bin := crashBuildBinary(t)
	env := pgEnv()
	for _, args := range [][]string{
		{"partner", "list", "--db", dsn},
		{"ledger", "verify", "--db", dsn},
		{"partner", "create", "--db", dsn, "--name", "A", "--email", "a@example.com"},
	} {
		_, stderr, code := crashRunEnv(t, bin, env, args...)
		if code != 1 || !strings.Contains(stderr, "the PostgreSQL database is not a partnerd database") {
			t.Errorf("partnerd %s on an empty database: exit %d, want 1 naming it\n%s", strings.Join(args[:2], " "), code, stderr)
		}
	}
	// Refused before migrating: the next command still finds it empty.
	if _, stderr, code := crashRunEnv(t, bin, env, "partner", "list", "--db", dsn); code != 1 {
		t.Errorf("partner list after refusals: exit %d, want 1 (the database was changed)\n%s", code, stderr)
	}
	if out, stderr, code := crashRunEnv(t, bin, env, "migrate", "--db", dsn); code != 0 || !strings.HasPrefix(out, "applied ") || !strings.Contains(out, " migrations (version 0 → ") {
		t.Fatalf("migrate: exit %d, want 0 and \"applied N migrations (version 0 → M)\"\n%s%s", code, out, stderr)
	}
	if out, stderr, code := crashRunEnv(t, bin, env, "migrate", "--db", dsn); code != 0 || !strings.HasPrefix(out, "already up to date at version ") {
		t.Fatalf("migrate again: exit %d, want 0 and \"already up to date\"\n%s%s", code, out, stderr)
	}
	if _, stderr, code := crashRunEnv(t, bin, env, "partner", "list", "--db", dsn); code != 0 || !strings.Contains(stderr, "no partners") {
		t.Errorf("partner list after migrate: exit %d, want 0 and no partners\n%s", code, stderr)
	}
	for i, want := range []int{0, 1} {
		_, stderr, code := crashRunEnv(t, bin, env, "partner", "create", "--db", dsn, "--name", "Acme", "--email", "ops@acme.example")
		if code != want || (want == 1 && !strings.Contains(stderr, partnerd.ECEmailTaken)) {
			t.Errorf("partner create #%d of one email: exit %d, want %d\n%s", i+1, code, want, stderr)
		}
	}
}
