package sqlstore_test

import (
	"context"
	"database/sql"
	"path/filepath"
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
