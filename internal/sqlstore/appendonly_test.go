package sqlstore_test

import (
	"context"
	"database/sql"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// checkAppendOnly proves the database itself refuses to change or remove
// ledger rows, and to remove wallets and accounts, whatever code runs
// against it (invariant I6), on both engines.
func checkAppendOnly(t *testing.T, db *sqlstore.DB) {
	// The operator's context: the partner's creation writes an audit row.
	ctx := partnerd.WithAudit(context.Background(), partnerd.AuditContext{Actor: partnerd.Actor{Kind: partnerd.ActorOperator}})
	p, _, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Append", Email: "ops@append.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.FundPartner(ctx, p.ID, 500, nil); err != nil {
		t.Fatal(err)
	}
	a, err := db.CreateAccount(ctx, p.ID, partnerd.AccountInput{
		Name: "Kept", Email: "kept@append.example", Password: "SecurePass@123", Phone: "9431538535", Country: "IN",
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`UPDATE ledger_entries SET amount = amount + 1`,
		`DELETE FROM ledger_entries`,
		`UPDATE ledger_transactions SET description = 'changed'`,
		`DELETE FROM ledger_transactions`,
		// Wallets and accounts stay, even those no entry names yet: the
		// customer's has none, so no foreign key would stop it.
		`DELETE FROM wallets WHERE id = '` + a.AuthID + `'`,
		`UPDATE wallets SET id = 'MA_renamed' WHERE id = '` + a.AuthID + `'`,
		`DELETE FROM accounts WHERE auth_id = '` + a.AuthID + `'`,
		// The audit log is append-only too (API.md §7).
		`UPDATE audit_events SET outcome = 'changed'`,
		`DELETE FROM audit_events`,
	} {
		err := db.Update(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, stmt)
			return err
		})
		if err == nil {
			t.Errorf("%s: succeeded, want the append-only trigger to refuse it", stmt)
		}
	}
	if err := db.VerifyLedger(ctx, io.Discard); err != nil {
		t.Errorf("VerifyLedger after refused changes: %v", err)
	}
}

func TestSQLiteLedgerAppendOnly(t *testing.T) {
	checkAppendOnly(t, mustOpen(t, filepath.Join(t.TempDir(), "p.db"), testKey(t)))
}

func TestPostgresLedgerAppendOnly(t *testing.T) {
	checkAppendOnly(t, mustOpenPostgres(t))
	db := mustOpenPostgres(t)
	ctx := context.Background()
	// Entries name wallets without a foreign key (see migration 00006),
	// so wallets themselves refuse to go or change id.
	p, _, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Kept", Email: "ops@kept.example"})
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{`TRUNCATE ledger_entries CASCADE`, `TRUNCATE ledger_transactions CASCADE`, `TRUNCATE audit_events`,
		`TRUNCATE wallets CASCADE`, `DELETE FROM wallets`, `UPDATE wallets SET id = 'PA_RENAMED' WHERE id = '` + p.ID + `'`} {
		if err := db.Update(ctx, func(tx *sql.Tx) error { _, err := tx.ExecContext(ctx, stmt); return err }); err == nil {
			t.Errorf("%s: succeeded, want a trigger to refuse it", stmt)
		}
	}
	// A balance update does not set id and is not refused.
	if _, err := db.FundPartner(ctx, p.ID, 100, nil); err != nil {
		t.Errorf("FundPartner after the wallet triggers: %v", err)
	}
}

// TestPostgresVerifyDetectsOrphanEntries writes a balanced pair of entries
// under a transaction id that was never recorded (PostgreSQL's entries
// carry no foreign keys): only I7 can see it, and it must.
func TestPostgresVerifyDetectsOrphanEntries(t *testing.T) {
	db := mustOpenPostgres(t)
	ctx := context.Background()
	p, a := mustMovedMoney(t, db)
	err := db.Update(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO ledger_entries (transaction_id, wallet_id, partner_id, wallet_kind, type,
				amount, balance_before, balance_after, created_at)
			VALUES ('txn_ghost', $1, $2, 'customer', 'recharge', 5, 30000, 30005, 0),
			       ('txn_ghost', $2, $2, 'partner', 'transfer_out', -5, 70000, 69995, 0)`, a, p); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE wallets SET balance = balance + 5 WHERE id = $1`, a); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE wallets SET balance = balance - 5 WHERE id = $1`, p)
		return err
	})
	if err != nil {
		t.Fatalf("corrupt: %v", err)
	}
	err = db.VerifyLedger(ctx, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "I7") || !strings.Contains(err.Error(), "txn_ghost") {
		t.Fatalf("VerifyLedger = %v, want I7 naming txn_ghost", err)
	}
}
