package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/pgtest"
)

// A write transaction adds its usage to the aggregates last, after every
// wallet it changes: the usage rows are shared by every write of a
// partner, so a transaction that held one while it went on to lock a
// wallet (a batch's call charges, then another request's withdrawal)
// closed cycles with another instance's transaction that held that wallet
// and wanted the usage row (PostgreSQL: deadlocks, a second lost each).
// Here another transaction holds the partner's usage rows; a write that
// charges a call and then changes a wallet must have that wallet locked
// while it waits for them.
func TestUsageWrittenAfterWallets(t *testing.T) {
	dsn := pgtest.FreshDSN(t)
	db, err := Open(context.Background(), Source{Driver: "postgres", DSN: dsn}, Options{SecretKey: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	// Other sessions, as another instance's: the store's pools are its own.
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	ctx := context.Background()
	p, _, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Order", Email: "ops@order.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.FundPartner(ctx, p.ID, 1_000_000, nil); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 2 {
		a, err := db.CreateAccount(ctx, p.ID, partnerd.AccountInput{Name: fmt.Sprintf("C%d", i), Email: fmt.Sprintf("c%d@order.example", i),
			Password: "SecurePass@123", Phone: "9431538535", Country: "IN"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 100_000}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.AuthID)
	}
	if err := db.ReplaceRateDeck(ctx, p.ID, []partnerd.Rate{
		{Direction: partnerd.DirectionOutbound, Prefix: "1", PerMinute: 600, InitialIncrement: 1, SubsequentIncrement: 1}}); err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
	answer := start.Add(time.Second)
	call := func(uuid string) partnerd.CDRInput {
		return partnerd.CDRInput{CallUUID: uuid, Direction: partnerd.DirectionOutbound, AccountAuthID: &ids[0],
			FromNumber: "+912271260000", ToNumber: "+14155550100", StartTime: start, AnswerTime: &answer,
			EndTime: start.Add(31 * time.Second), DurationSeconds: 31, Billsec: 30}
	}
	if _, err := db.PostCDRs(ctx, []partnerd.CDRInput{call("first")}, make([]*partnerd.Error, 1)); err != nil {
		t.Fatal(err)
	}

	// Another instance's transaction holds the partner's usage rows.
	other, err := raw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Rollback()
	if _, err := other.ExecContext(ctx, `SELECT 1 FROM usage_daily WHERE partner_id = $1 FOR UPDATE`, p.ID); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		o := &cdrOp{db: db, ins: []partnerd.CDRInput{call("second")}, rejected: make([]*partnerd.Error, 1), now: db.now()}
		done <- db.update(ctx, func(tx *txn) error {
			if _, err := o.charges(tx); err != nil {
				return err
			}
			// The next request of the batch changes another wallet.
			_, err := tx.exec(`UPDATE wallets SET updated_at = updated_at WHERE id = ?`, ids[1])
			return err
		})
	}()
	// The write waits for the usage rows holding the second wallet.
	locked := false
	for deadline := time.Now().Add(3 * time.Second); !locked && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		probe, err := raw.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = probe.ExecContext(ctx, `SELECT 1 FROM wallets WHERE id = $1 FOR UPDATE NOWAIT`, ids[1])
		probe.Rollback()
		var pe *pgconn.PgError
		switch {
		case errors.As(err, &pe) && pe.Code == "55P03": // lock_not_available
			locked = true
		case err != nil:
			t.Fatal(err)
		}
	}
	if !locked {
		t.Errorf("the write waited for the usage rows before it locked its next wallet")
	}
	if err := other.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the write: %v", err)
	}
	var calls int64
	if err := raw.QueryRowContext(ctx, `SELECT SUM(calls) FROM usage_daily WHERE partner_id = $1`, p.ID).Scan(&calls); err != nil || calls != 2 {
		t.Errorf("usage counts %d calls (%v), want 2", calls, err)
	}
}
