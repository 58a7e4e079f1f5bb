package sqlstore_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// TestKeyCheck opens databases in each state the key check knows, with
// each kind of key: a database opens only with the key its secrets are
// sealed under, and a new key is made only where there is no secret.
func TestKeyCheck(t *testing.T) {
	keyA, keyB := testKey(t), testKey(t)
	// The states a test starts from; secrets are sealed under keyA.
	empty := func(*testing.T, string) {}
	partnerOnly := func(t *testing.T, path string) {
		withStore(t, path, sqlstore.Options{}, func(db *sqlstore.DB) {
			if _, _, err := db.CreatePartner(context.Background(), partnerd.PartnerInput{Name: "P", Email: "p@example.com"}); err != nil {
				t.Fatal(err)
			}
		})
	}
	checkOnly := func(t *testing.T, path string) {
		withStore(t, path, sqlstore.Options{SecretKey: keyA}, func(*sqlstore.DB) {})
	}
	account := func(t *testing.T, path string) {
		withStore(t, path, sqlstore.Options{SecretKey: keyA}, func(db *sqlstore.DB) { mustMovedMoney(t, db) })
	}
	storedResponse := func(t *testing.T, path string) {
		withStore(t, path, sqlstore.Options{SecretKey: keyA}, func(db *sqlstore.DB) {
			ctx := context.Background()
			p, _, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "P", Email: "p@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			_, c, err := db.ClaimIdempotencyKey(ctx, partnerd.IdempotencyRequest{PartnerID: p.ID, Key: "k", Fingerprint: []byte("f")})
			if err != nil {
				t.Fatal(err)
			}
			c.Respond = func(any) (int, []byte, error) { return 200, []byte(`{"ok":true}`), nil }
			if _, err := db.FundPartner(partnerd.WithIdempotencyClaim(ctx, c), p.ID, 100, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
	// legacy is state in a database from before the key check.
	legacy := func(state func(*testing.T, string)) func(*testing.T, string) {
		return func(t *testing.T, path string) {
			state(t, path)
			rawExec(t, path, `DELETE FROM meta`)
		}
	}
	tests := []struct {
		name    string
		state   func(t *testing.T, path string)
		key     []byte // Options.SecretKey
		newKey  bool   // Options.NewSecretKey offers keyB
		wantErr error
		made    bool // NewSecretKey was called
	}{
		{"new database, key given", empty, keyA, false, nil, false},
		{"new database, key made", empty, nil, true, nil, true},
		{"partners but no secret, key made", partnerOnly, nil, true, nil, true},
		{"secrets, their key", account, keyA, false, nil, false},
		{"secrets, another key", account, keyB, false, sqlstore.ErrWrongKey, false},
		{"secrets, no key", account, nil, true, sqlstore.ErrKeyNeeded, false},
		{"key check only, another key", checkOnly, keyB, false, sqlstore.ErrWrongKey, false},
		{"key check only, no key", checkOnly, nil, true, sqlstore.ErrKeyNeeded, false},
		// Before the check existed, the first secret decides.
		{"legacy token, its key", legacy(account), keyA, false, nil, false},
		{"legacy token, another key", legacy(account), keyB, false, sqlstore.ErrWrongKey, false},
		{"legacy token, no key", legacy(account), nil, true, sqlstore.ErrKeyNeeded, false},
		{"legacy stored response, its key", legacy(storedResponse), keyA, false, nil, false},
		{"legacy stored response, another key", legacy(storedResponse), keyB, false, sqlstore.ErrWrongKey, false},
		{"legacy without secrets, key made", legacy(partnerOnly), nil, true, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "p.db")
			tt.state(t, path)
			made := false
			opts := sqlstore.Options{SecretKey: tt.key}
			if tt.newKey {
				opts.NewSecretKey = func() ([]byte, error) { made = true; return keyB, nil }
			}
			db, err := sqlstore.Open(context.Background(), sqlstore.Source{Driver: "sqlite", Path: path}, opts)
			if (err == nil) != (tt.wantErr == nil) || !errors.Is(err, tt.wantErr) {
				t.Fatalf("Open = %v, want %v", err, tt.wantErr)
			}
			if made != tt.made {
				t.Errorf("NewSecretKey called: %v, want %v", made, tt.made)
			}
			if err != nil {
				return
			}
			db.Close()
			// The key Open settled on is the database's from now on.
			settled, other := keyA, keyB
			if tt.made || bytes.Equal(tt.key, keyB) {
				settled, other = keyB, keyA
			}
			if _, err := sqlstore.Open(context.Background(), sqlstore.Source{Driver: "sqlite", Path: path},
				sqlstore.Options{SecretKey: other}); !errors.Is(err, sqlstore.ErrWrongKey) {
				t.Errorf("reopen with the other key = %v, want ErrWrongKey", err)
			}
			withStore(t, path, sqlstore.Options{SecretKey: settled}, func(*sqlstore.DB) {})
		})
	}
}

// TestCopyCarriesKeyCheck copies into a target opened with another key:
// the copy then opens with the source's key only, so a server given the
// wrong key refuses to start instead of failing every read of a token.
func TestCopyCarriesKeyCheck(t *testing.T) {
	ctx := context.Background()
	keySrc, keyDst := testKey(t), testKey(t)
	src := mustOpen(t, filepath.Join(t.TempDir(), "src.db"), keySrc)
	p, a := mustPopulate(t, src)
	path := filepath.Join(t.TempDir(), "dst.db")
	withStore(t, path, sqlstore.Options{SecretKey: keyDst}, func(dst *sqlstore.DB) {
		if err := sqlstore.Copy(ctx, src, dst, new(bytes.Buffer)); err != nil {
			t.Fatalf("Copy: %v", err)
		}
	})
	for _, opts := range []sqlstore.Options{{SecretKey: keyDst}, {NewSecretKey: func() ([]byte, error) { return keyDst, nil }}} {
		if _, err := sqlstore.Open(ctx, sqlstore.Source{Driver: "sqlite", Path: path}, opts); err == nil {
			t.Errorf("Open the copy without the source's key succeeded, want ErrWrongKey or ErrKeyNeeded")
		}
	}
	withStore(t, path, sqlstore.Options{SecretKey: keySrc}, func(dst *sqlstore.DB) {
		if _, err := dst.Account(ctx, p, a); err != nil {
			t.Errorf("Account on the copy with the source's key: %v", err)
		}
	})
}

// withStore opens the SQLite store at path with opts, runs fn and closes it.
func withStore(t *testing.T, path string, opts sqlstore.Options, fn func(db *sqlstore.DB)) {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), sqlstore.Source{Driver: "sqlite", Path: path}, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	defer db.Close()
	fn(db)
}

// rawExec runs statements on the SQLite file at path over a plain
// connection, around the store and its foreign keys: how a test corrupts
// a database.
func rawExec(t *testing.T, path string, stmts ...string) {
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

// TestOpenMustExist: with MustExist, Open refuses what is not a partnerd
// database, and leaves the directory as it found it.
func TestOpenMustExist(t *testing.T) {
	dir := t.TempDir()
	path := func(name string) string { return filepath.Join(dir, name) }
	if err := os.WriteFile(path("empty.db"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	rawExec(t, path("foreign.db"), `CREATE TABLE notes (body TEXT)`)
	withStore(t, path("partnerd.db"), sqlstore.Options{}, func(*sqlstore.DB) {})
	for _, tt := range []struct {
		name    string
		wantErr error
	}{
		{"missing.db", sqlstore.ErrNoDatabase},
		{"empty.db", sqlstore.ErrNoDatabase},
		{"foreign.db", sqlstore.ErrNoDatabase},
		{"partnerd.db", nil},
	} {
		before := dirEntries(t, dir)
		db, err := sqlstore.Open(context.Background(), sqlstore.Source{Driver: "sqlite", Path: path(tt.name)}, sqlstore.Options{MustExist: true})
		if (err == nil) != (tt.wantErr == nil) || !errors.Is(err, tt.wantErr) {
			t.Errorf("Open(%s) = %v, want %v", tt.name, err, tt.wantErr)
		}
		if err == nil {
			db.Close()
		}
		if after := dirEntries(t, dir); !slices.Equal(before, after) {
			t.Errorf("Open(%s) changed the directory: %v, then %v", tt.name, before, after)
		}
	}
}

// dirEntries lists the names in dir, sorted.
func dirEntries(t *testing.T, dir string) []string {
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
