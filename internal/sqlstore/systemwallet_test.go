package sqlstore

import (
	"context"
	"testing"
	"time"
)

// Looking up an existing system wallet must not wait for a transaction
// that is changing it: on PostgreSQL every batch charging calls or
// numbers names the usage wallet while it holds its customers' wallets,
// and one that waited there for another instance's batch (which then
// wanted one of those customers) deadlocked.
func TestSystemWalletDoesNotWaitForItsRow(t *testing.T) {
	db := writerStores(t)["postgres"](t)
	ctx := context.Background()
	now := time.Now()
	if err := db.update(ctx, func(tx *txn) error {
		_, err := systemWallet(tx, "usage", "INR", now)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// Another instance's batch, mid-way: it changed the wallet and has not
	// committed.
	other, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Rollback()
	if _, err := other.ExecContext(ctx, `UPDATE wallets SET balance = balance + 1 WHERE id = 'usage:INR'`); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	err = db.update(wctx, func(tx *txn) error {
		tx.ctx = wctx
		id, err := systemWallet(tx, "usage", "INR", now)
		if err == nil && id != "usage:INR" {
			t.Errorf("systemWallet = %q, want usage:INR", id)
		}
		return err
	})
	if err != nil {
		t.Fatalf("systemWallet while another transaction changes the wallet: %v (it waited for that transaction)", err)
	}
}
