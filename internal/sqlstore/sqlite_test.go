package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/secret"
	"github.com/partnerd/partnerd/internal/sqlstore"
	"github.com/partnerd/partnerd/internal/storetest"
)

// testKey returns a fresh 32-byte secret key.
func testKey(t testing.TB) []byte {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	return key
}

// mustOpen opens (creating if needed) the SQLite store at path and closes
// it when the test ends.
// sqliteStores opens n stores on one new SQLite file: the instances a
// conformance suite (storetest.Run…) asks for.
func sqliteStores[S any](t *testing.T, n int) []S {
	path, key := filepath.Join(t.TempDir(), "p.db"), testKey(t)
	stores := make([]S, n)
	for i := range stores {
		stores[i] = any(mustOpen(t, path, key)).(S)
	}
	return stores
}

// postgresStores opens n stores on one fresh PostgreSQL database.
func postgresStores[S any](t *testing.T, n int) []S {
	src, key := sqlstore.Source{Driver: "postgres", DSN: pgtest.FreshDSN(t)}, testKey(t)
	stores := make([]S, n)
	for i := range stores {
		db, err := sqlstore.Open(context.Background(), src, sqlstore.Options{SecretKey: key})
		if err != nil {
			t.Fatalf("Open(postgres): %v", err)
		}
		t.Cleanup(func() { db.Close() })
		stores[i] = any(db).(S)
	}
	return stores
}

func mustOpen(t testing.TB, path string, key []byte) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), sqlstore.Source{Driver: "sqlite", Path: path}, sqlstore.Options{SecretKey: key})
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close(%s): %v", path, err)
		}
	})
	return db
}

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		return mustOpen(t, filepath.Join(t.TempDir(), "p.db"), testKey(t))
	})
}

func TestSQLiteReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.db")
	key := testKey(t)

	db, err := sqlstore.Open(ctx, sqlstore.Source{Driver: "sqlite", Path: path}, sqlstore.Options{SecretKey: key})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	p, token, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Durable", Email: "ops@durable.example"})
	if err != nil {
		t.Fatalf("CreatePartner: %v", err)
	}
	a, err := db.CreateAccount(ctx, p.ID, partnerd.AccountInput{
		Name: "Kept", Email: "kept@durable.example", Password: "SecurePass@123", Phone: "9431538535", Country: "IN",
	})
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	db = mustOpen(t, path, key)
	if c, err := db.PartnerCredential(ctx, p.ID); err != nil || !secret.TokenMatches(c.TokenHash, token) {
		t.Errorf("PartnerCredential after reopen: %v; want the token's hash", err)
	}
	got, err := db.Account(ctx, p.ID, a.AuthID)
	if err != nil {
		t.Fatalf("Account after reopen: %v", err)
	}
	if got.AuthToken != a.AuthToken || got.Email != a.Email {
		t.Errorf("Account after reopen = %s %s, want %s %s", got.Email, got.AuthToken, a.Email, a.AuthToken)
	}
	if _, total, err := db.ListAccounts(ctx, p.ID, partnerd.AccountFilter{Search: "kept", Page: partnerd.Page{Page: 1, Size: 20}}); err != nil || total != 1 {
		t.Errorf("search after reopen: total %d, err %v; want 1, nil", total, err)
	}
}

func TestSQLiteConcurrentOpen(t *testing.T) {
	// A server and an operator command may open (and so migrate) one new
	// file at the same moment; the migration lock lets both succeed.
	path := filepath.Join(t.TempDir(), "p.db")
	key := testKey(t)
	const n = 4
	dbs := make([]*sqlstore.DB, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			dbs[i], errs[i] = sqlstore.Open(context.Background(), sqlstore.Source{Driver: "sqlite", Path: path}, sqlstore.Options{SecretKey: key})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open #%d: %v", i, err)
			continue
		}
		t.Cleanup(func() { dbs[i].Close() })
	}
	if t.Failed() {
		return
	}
	// The lock went with the last of them.
	if _, err := os.Stat(path + ".migrate-lock"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stat %s.migrate-lock = %v, want no such file", path, err)
	}
	// Each sees the others' writes.
	ctx := context.Background()
	p, _, err := dbs[0].CreatePartner(ctx, partnerd.PartnerInput{Name: "Shared", Email: "ops@shared.example"})
	if err != nil {
		t.Fatalf("CreatePartner: %v", err)
	}
	for i, db := range dbs {
		if _, err := db.Partner(ctx, p.ID); err != nil {
			t.Errorf("Partner through Open #%d: %v", i, err)
		}
	}
}

func TestSQLitePragmas(t *testing.T) {
	db := mustOpen(t, filepath.Join(t.TempDir(), "p.db"), testKey(t))
	for _, tc := range []struct{ pragma, want string }{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL
		{"foreign_keys", "1"},
		{"busy_timeout", "10000"},
		{"journal_size_limit", "67108864"}, // 64 MB
	} {
		read, write, err := db.Pragma(context.Background(), tc.pragma)
		if err != nil {
			t.Fatalf("PRAGMA %s: %v", tc.pragma, err)
		}
		if read != tc.want || write != tc.want {
			t.Errorf("PRAGMA %s = %q on the read pool, %q on the writer; want %q", tc.pragma, read, write, tc.want)
		}
	}
	// The writer's page cache holds a batch's dirty pages (db.go); the
	// readers keep SQLite's default.
	read, write, err := db.Pragma(context.Background(), "cache_size")
	if err != nil {
		t.Fatalf("PRAGMA cache_size: %v", err)
	}
	if read != "-2000" || write != "-65536" {
		t.Errorf("PRAGMA cache_size = %q on the read pool, %q on the writer; want -2000 and -65536", read, write)
	}
	// The read pool must not be able to write, even by mistake.
	read, _, err = db.Pragma(context.Background(), "query_only")
	if err != nil {
		t.Fatalf("PRAGMA query_only: %v", err)
	}
	if read != "1" {
		t.Errorf("PRAGMA query_only on the read pool = %q, want 1", read)
	}
}

func TestSQLiteIdempotencyInstances(t *testing.T) {
	storetest.RunIdempotencyInstances(t, sqliteStores[storetest.LedgerStore])
}

func TestSQLiteLedger(t *testing.T) {
	storetest.RunLedger(t, func(t *testing.T) storetest.LedgerStore {
		return mustOpen(t, filepath.Join(t.TempDir(), "p.db"), testKey(t))
	})
}

// TestSQLiteOutOfRoom: a database with no room left (its disk full; here
// its page count capped, which SQLite refuses the same way) refuses each
// write as unavailable, to retry later, not as an internal error; nothing
// of a refused write is kept, and writes resume once there is room.
func TestSQLiteOutOfRoom(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, filepath.Join(t.TempDir(), "p.db"), testKey(t))
	p, a := mustMovedMoney(t, db) // 300.00 moved
	if _, err := db.FundPartner(ctx, p, 1_000_000, nil); err != nil {
		t.Fatal(err)
	}
	maxPages := func(n string) {
		t.Helper()
		if err := db.Update(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "PRAGMA max_page_count = "+n)
			return err
		}); err != nil {
			t.Fatalf("PRAGMA max_page_count = %s: %v", n, err)
		}
	}
	_, pages, err := db.Pragma(ctx, "page_count")
	if err != nil {
		t.Fatal(err)
	}
	maxPages(pages)
	desc := strings.Repeat("x", 200)
	moved := int64(30000)
	var refused *partnerd.Error
	for i := 0; i < 2000 && refused == nil; i++ {
		_, err := db.Transfer(ctx, p, partnerd.TransferInput{AuthID: a, Amount: 100, Description: &desc})
		switch {
		case err == nil:
			moved += 100
		case errors.As(err, &refused):
		default:
			t.Fatalf("transfer %d: %v, want success or a partnerd.Error", i, err)
		}
	}
	if refused == nil {
		t.Fatal("2,000 transfers fitted in the capped database; want one refused")
	}
	if refused.Code != partnerd.ECUnavailable || refused.RetryAfter != 30*time.Second {
		t.Errorf("refused transfer: %s (Retry-After %v), want %s after 30s", refused.Code, refused.RetryAfter, partnerd.ECUnavailable)
	}
	if !sqlstore.Unavailable(refused.Err) {
		t.Errorf("Unavailable(%v) = false, want true (the API answers 503)", refused.Err)
	}
	if bal, _ := mustBalance(t, db, p, a); bal != moved {
		t.Errorf("balance %d after the refusal, want %d (the refused transfer kept nothing)", bal, moved)
	}

	maxPages("1073741823")
	if _, err := db.Transfer(ctx, p, partnerd.TransferInput{AuthID: a, Amount: 100}); err != nil {
		t.Fatalf("transfer once there is room: %v", err)
	}
	if bal, _ := mustBalance(t, db, p, a); bal != moved+100 {
		t.Errorf("balance %d once there is room, want %d", bal, moved+100)
	}
	if err := db.VerifyLedger(ctx, io.Discard); err != nil {
		t.Errorf("ledger verify: %v", err)
	}
}

// TestSQLiteFilesRemoved: the -wal and -shm files removed while the store
// runs (what a clean-up script or a restore of the database file alone
// does) hold every transaction committed since the last checkpoint. The
// store refuses the next write as unavailable, keeping nothing of it, and
// saves what the old WAL held into the database file, so that the file
// alone, as a crash would leave it, has every acknowledged write; and
// with no write to come, it does so by itself within seconds.
func TestSQLiteFilesRemoved(t *testing.T) {
	for _, idle := range []bool{false, true} {
		t.Run(map[bool]string{false: "next write", true: "idle"}[idle], func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			path := filepath.Join(dir, "p.db")
			key := testKey(t)
			db := mustOpen(t, path, key)
			p, a := mustMovedMoney(t, db) // 300.00 acknowledged
			for _, f := range []string{"-wal", "-shm"} {
				if err := os.Remove(path + f); err != nil {
					t.Fatal(err)
				}
			}
			if idle {
				time.Sleep(3 * time.Second) // the guard looks once a second
			} else {
				_, err := db.Transfer(ctx, p, partnerd.TransferInput{AuthID: a, Amount: 100})
				var pe *partnerd.Error
				if !errors.As(err, &pe) || pe.Code != partnerd.ECUnavailable {
					t.Fatalf("transfer after the files went: %v, want %s", err, partnerd.ECUnavailable)
				}
			}
			// What a kill -9 now would leave: the database file alone.
			crashed := filepath.Join(t.TempDir(), "crashed.db")
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(crashed, b, 0o600); err != nil {
				t.Fatal(err)
			}
			after := mustOpen(t, crashed, key)
			bal, err := after.AccountBalance(ctx, p, a)
			if err != nil {
				t.Fatalf("the database file alone: %v", err)
			}
			if bal.Balance != 30000 {
				t.Errorf("balance in the database file alone = %d, want 30000 (the acknowledged transfer)", bal.Balance)
			}
			if err := after.VerifyLedger(ctx, io.Discard); err != nil {
				t.Errorf("ledger verify: %v", err)
			}
		})
	}
}

// A store may be closed twice (cleanups of a test and of its helper).
func TestSQLiteCloseTwice(t *testing.T) {
	db, err := sqlstore.Open(context.Background(), sqlstore.Source{Driver: "sqlite", Path: filepath.Join(t.TempDir(), "p.db")},
		sqlstore.Options{SecretKey: testKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db.Close()
}
