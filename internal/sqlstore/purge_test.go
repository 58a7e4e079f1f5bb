package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
)

// TestPurgeIdempotencyKeys checks that keys live at least the retention
// period and are forgotten after it, in-flight markers included.
func TestPurgeIdempotencyKeys(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, filepath.Join(t.TempDir(), "p.db"), testKey(t))
	start := time.Date(2026, 3, 25, 10, 0, 0, 0, time.UTC)
	now := start
	db.Now = func() time.Time { return now }
	p, a := mustMovedMoney(t, db)
	req := func(key string) partnerd.IdempotencyRequest {
		return partnerd.IdempotencyRequest{PartnerID: p, Key: key, Fingerprint: []byte("f")}
	}
	_, done, err := db.ClaimIdempotencyKey(ctx, req("done"))
	if err != nil {
		t.Fatal(err)
	}
	done.Respond = func(any) (int, []byte, error) { return 200, []byte("{}"), nil }
	if _, err := db.Transfer(partnerd.WithIdempotencyClaim(ctx, done), p, partnerd.TransferInput{AuthID: a, Amount: 1}); err != nil {
		t.Fatal(err)
	}
	db.ReleaseIdempotencyKey(ctx, done)
	// An in-flight marker as earlier versions wrote them, whose request
	// died: purged with the completed keys.
	if err := db.Update(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO idempotency_keys (partner_id, key, fingerprint, claim, status, locked_until, created_at)
			VALUES (?, 'abandoned', x'66', 'c', 0, ?, ?)`, p, start.Add(partnerd.IdempotencyLease).Unix(), start.Unix())
		return err
	}); err != nil {
		t.Fatal(err)
	}

	now = start.Add(partnerd.IdempotencyRetention - time.Minute)
	if n, err := db.PurgeIdempotencyKeys(ctx); err != nil || n != 0 {
		t.Fatalf("purge before the retention ends: %d deleted, err %v; want 0", n, err)
	}
	if stored, _, err := db.ClaimIdempotencyKey(ctx, req("done")); err != nil || stored == nil {
		t.Fatalf("a day-old key: %v, %v; want its stored response", stored, err)
	}

	now = start.Add(partnerd.IdempotencyRetention + time.Minute)
	if n, err := db.PurgeIdempotencyKeys(ctx); err != nil || n != 2 {
		t.Fatalf("purge after the retention: %d deleted, err %v; want 2", n, err)
	}
	if stored, c, err := db.ClaimIdempotencyKey(ctx, req("done")); err != nil || stored != nil || c == nil {
		t.Errorf("a purged key: %v, %v, %v; want a fresh claim", stored, c, err)
	}
}

// TestIdempotencyConcurrentReplays checks that concurrent retries of a
// completed request, on an instance that has not seen the key (a second
// store on the same database, its cache cold), all replay its response:
// none is refused as in progress because another retry was reading.
func TestIdempotencyConcurrentReplays(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.db")
	key := testKey(t)
	db := mustOpen(t, path, key)
	p, a := mustMovedMoney(t, db)
	req := partnerd.IdempotencyRequest{PartnerID: p, Key: "k", Fingerprint: []byte("f")}
	_, c, err := db.ClaimIdempotencyKey(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	c.Respond = func(any) (int, []byte, error) { return 200, []byte(`{"ok":true}`), nil }
	if _, err := db.Transfer(partnerd.WithIdempotencyClaim(ctx, c), p, partnerd.TransferInput{AuthID: a, Amount: 1}); err != nil {
		t.Fatal(err)
	}
	db.ReleaseIdempotencyKey(ctx, c)

	for round := range 5 {
		cold := mustOpen(t, path, key)
		const n = 32
		errs := make(chan string, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				stored, c, err := cold.ClaimIdempotencyKey(ctx, req)
				if err != nil || c != nil || stored == nil || string(stored.Body) != `{"ok":true}` {
					errs <- fmt.Sprintf("round %d: claim = %v, %v, %v; want the stored response", round, stored, c, err)
				}
			})
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
	}
}
