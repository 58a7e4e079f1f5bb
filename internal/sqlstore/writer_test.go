package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/pgtest"
)

// writerStores opens one store per backend available: SQLite always,
// PostgreSQL when PARTNERD_TEST_POSTGRES is set.
func writerStores(t *testing.T) map[string]func(t *testing.T) *DB {
	open := func(t *testing.T, src Source) *DB {
		db, err := Open(context.Background(), src, Options{SecretKey: make([]byte, 32)})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	stores := map[string]func(t *testing.T) *DB{
		"sqlite": func(t *testing.T) *DB {
			return open(t, Source{Driver: "sqlite", Path: filepath.Join(t.TempDir(), "w.db")})
		},
	}
	// FreshDSN skips without a server, or fails under CI=true.
	stores["postgres"] = func(t *testing.T) *DB {
		return open(t, Source{Driver: "postgres", DSN: pgtest.FreshDSN(t)})
	}
	return stores
}

// holdWriter keeps db's writer busy with a request of its own, so that the
// requests a test sends next queue up to form one batch. The returned
// function waits until n requests are queued, then lets the writer go on.
func holdWriter(t *testing.T, db *DB) (queued func(n int)) {
	t.Helper()
	started, release := make(chan struct{}), make(chan struct{})
	held := make(chan error, 1)
	go func() {
		held <- db.update(context.Background(), func(*txn) error {
			close(started)
			<-release
			return nil
		})
	}()
	<-started
	return func(n int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); len(db.writer.reqs) < n; {
			if time.Now().After(deadline) {
				close(release)
				t.Fatalf("only %d of %d requests queued", len(db.writer.reqs), n)
			}
			time.Sleep(time.Millisecond)
		}
		close(release)
		if err := <-held; err != nil {
			t.Fatalf("holding request: %v", err)
		}
	}
}

// TestWriterBatchFailuresRollBackAlone queues one batch in which every third
// request fails after writing, and one fails inside the database (which
// aborts a PostgreSQL transaction): each failure must leave nothing behind,
// every other request must commit exactly once, and each caller must get
// its own outcome, however often the batch had to run.
func TestWriterBatchFailuresRollBackAlone(t *testing.T) {
	for name, open := range writerStores(t) {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			ctx := context.Background()
			if err := db.update(ctx, func(tx *txn) error {
				if _, err := tx.exec(`CREATE TABLE writer_scratch (n INTEGER PRIMARY KEY)`); err != nil {
					return err
				}
				_, err := tx.exec(`INSERT INTO writer_scratch (n) VALUES (1000)`)
				return err
			}); err != nil {
				t.Fatal(err)
			}

			queued := holdWriter(t, db)

			const n = 30
			errRefused := errors.New("refused")
			runs := make([]atomic.Int32, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					errs[i] = db.update(ctx, func(tx *txn) error {
						runs[i].Add(1)
						v := i
						if i == n-1 {
							v = 1000 // a duplicate key: the database refuses it
						}
						if _, err := tx.exec(`INSERT INTO writer_scratch (n) VALUES (?)`, v); err != nil {
							return err
						}
						if i%3 == 0 {
							return errRefused
						}
						return nil
					})
				})
			}
			queued(n)
			wg.Wait()

			want := map[int]bool{1000: true}
			for i := range n {
				switch {
				case i == n-1:
					if errs[i] == nil || !isUniqueViolation(errs[i]) {
						t.Errorf("request %d (duplicate key): err = %v, want a unique violation", i, errs[i])
					}
				case i%3 == 0:
					if !errors.Is(errs[i], errRefused) {
						t.Errorf("request %d: err = %v, want its own refusal", i, errs[i])
					}
				default:
					if errs[i] != nil {
						t.Errorf("request %d: err = %v, want success", i, errs[i])
					}
					want[i] = true
				}
			}
			// The batch had failures, so it ran more than once: the point
			// of the test is that reruns leave no trace.
			var total int32
			for i := range runs {
				total += runs[i].Load()
			}
			if reruns := db.writer.stats.reruns.Load(); reruns == 0 || total <= n {
				t.Errorf("%d reruns, %d runs of %d requests; the test meant its batch to be rerun", reruns, total, n)
			}
			rows, err := db.read.QueryContext(ctx, `SELECT n FROM writer_scratch ORDER BY n`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			got := make(map[int]bool)
			for rows.Next() {
				var v int
				if err := rows.Scan(&v); err != nil {
					t.Fatal(err)
				}
				got[v] = true
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("committed rows %v, want exactly %v", got, want)
			}
		})
	}
}

// The writer's sessions carry the idle limit (writerIdleLimit), so that
// PostgreSQL ends one left idle inside a transaction by an instance
// frozen mid-batch, releasing its row locks.
func TestWriterIdleLimit(t *testing.T) {
	db := writerStores(t)["postgres"](t)
	var limit string
	if err := db.write.QueryRowContext(context.Background(), `SHOW idle_in_transaction_session_timeout`).Scan(&limit); err != nil {
		t.Fatal(err)
	}
	if limit != writerIdleLimit {
		t.Errorf("writer sessions' idle_in_transaction_session_timeout = %q, want %q", limit, writerIdleLimit)
	}
}

// Idempotency keys' markers commit on their own pool, without waiting for
// the disk; the writer's batches wait.
func TestKeyMarkersCommitAsync(t *testing.T) {
	db := writerStores(t)["postgres"](t)
	for _, pool := range []struct {
		name string
		db   *sql.DB
		want string
	}{{"keys", db.keys, "off"}, {"write", db.write, "on"}} {
		var got string
		if err := pool.db.QueryRowContext(context.Background(), `SHOW synchronous_commit`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != pool.want {
			t.Errorf("%s pool: synchronous_commit = %q, want %q", pool.name, got, pool.want)
		}
	}
}

// A writer session that PostgreSQL ended for idling in its transaction
// (25P03) committed nothing: the request is answered 503, to retry, like
// any connection lost, or a server out of disk (53100), memory (53200)
// or connections (53300), or failing to write (58030); a constraint's
// refusal is not.
func TestIdleTimeoutIsUnavailable(t *testing.T) {
	for code, want := range map[string]bool{"25P03": true, "08006": true, "57P01": true, "23505": false, "40P01": false,
		"53100": true, "53200": true, "53300": true, "58030": true, "58P01": false, "55P03": true, "57014": true} {
		if got := Unavailable(fmt.Errorf("commit: %w", &pgconn.PgError{Code: code})); got != want {
			t.Errorf("Unavailable(SQLSTATE %s) = %v, want %v", code, got, want)
		}
	}
	// The connection cut mid-answer (PostgreSQL stopped at once).
	if !Unavailable(fmt.Errorf("claim idempotency key: %w", io.ErrUnexpectedEOF)) {
		t.Error("Unavailable(unexpected EOF) = false, want true")
	}
}

// TestPostgresLockLimit: a wallet row locked outside partnerd (an
// operator's session) for longer than the writer's lock limit fails the
// writes that need it as unavailable, keeping nothing of them, instead of
// holding the instance's writer for as long as the lock is held; the
// other writes of their batch go through; once the lock is gone they
// succeed too.
func TestPostgresLockLimit(t *testing.T) {
	dsn := pgtest.FreshDSN(t)
	ctx := context.Background()
	db, err := Open(ctx, Source{Driver: "postgres", DSN: dsn}, Options{SecretKey: make([]byte, 32), lockLimit: "300ms"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, _, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Locked", Email: "ops@locked.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.FundPartner(ctx, p.ID, 10_000, nil); err != nil {
		t.Fatal(err)
	}
	var accts [2]string
	for i := range accts {
		a, err := db.CreateAccount(ctx, p.ID, partnerd.AccountInput{Name: "Held", Email: fmt.Sprintf("held%d@locked.example", i),
			Password: "SecurePass@123", Phone: "9431538535", Country: "IN"})
		if err != nil {
			t.Fatal(err)
		}
		accts[i] = a.AuthID
	}
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	hold, err := raw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback()
	if _, err := hold.ExecContext(ctx, `SELECT 1 FROM wallets WHERE id = $1 FOR UPDATE`, accts[0]); err != nil {
		t.Fatal(err)
	}
	// Both transfers in one batch: the first's wallet is held.
	queued := holdWriter(t, db)
	var errs [2]error
	var wg sync.WaitGroup
	start := time.Now()
	for i, a := range accts {
		wg.Go(func() {
			_, errs[i] = db.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a, Amount: 100})
		})
	}
	queued(2)
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
		t.Logf("answered after %v", time.Since(start).Round(time.Millisecond))
	case <-time.After(10 * time.Second):
		hold.Rollback()
		<-finished
		t.Fatal("the transfers still waited after 10 s; want them answered after the lock limit")
	}
	var pe *partnerd.Error
	if !errors.As(errs[0], &pe) || pe.Code != partnerd.ECUnavailable || pe.RetryAfter <= 0 {
		t.Errorf("transfer to the locked wallet: %v, want %s with a Retry-After", errs[0], partnerd.ECUnavailable)
	}
	if errs[1] != nil {
		t.Errorf("transfer to a free wallet in the same batch: %v, want success", errs[1])
	}
	// The next batch that names the held wallet refuses its request
	// without waiting the limit again, so the others do not wait either.
	queued = holdWriter(t, db)
	for i, a := range accts {
		wg.Go(func() {
			_, errs[i] = db.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a, Amount: 100})
		})
	}
	queued(2)
	wg.Wait()
	if partnerd.ErrorCode(errs[0]) != partnerd.ECUnavailable || errs[1] != nil {
		t.Errorf("the next batch: %v and %v, want %s and success", errs[0], errs[1], partnerd.ECUnavailable)
	}
	if n := db.writer.stats.lockTimeouts.Load(); n != 1 {
		t.Errorf("%d lock waits timed out, want 1 (the next batch took the held wallet for busy)", n)
	}
	if err := hold.Rollback(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: accts[0], Amount: 100}); err != nil {
		t.Fatalf("transfer once the lock is gone: %v", err)
	}
	for i, a := range accts {
		bal, err := db.AccountBalance(ctx, p.ID, a)
		if want := []int64{100, 200}[i]; err != nil || bal.Balance != want {
			t.Errorf("balance of %s %v (%v), want %d: the refused transfers kept nothing", a, bal, err, want)
		}
	}
	if err := db.VerifyLedger(ctx, io.Discard); err != nil {
		t.Errorf("ledger verify: %v", err)
	}
}
