package sqlstore_test

import (
	"context"
	"database/sql"
	"io"
	"path/filepath"
	"testing"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// checkAppendOnly proves the database itself refuses to change or remove
// ledger rows, whatever code runs against it (invariant I6).
func checkAppendOnly(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	p, _, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Append", Email: "ops@append.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.FundPartner(ctx, p.ID, 500, nil); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`UPDATE ledger_entries SET amount = amount + 1`,
		`DELETE FROM ledger_entries`,
		`UPDATE ledger_transactions SET description = 'changed'`,
		`DELETE FROM ledger_transactions`,
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
	for _, stmt := range []string{`TRUNCATE ledger_entries CASCADE`, `TRUNCATE ledger_transactions CASCADE`} {
		if err := db.Update(ctx, func(tx *sql.Tx) error { _, err := tx.ExecContext(ctx, stmt); return err }); err == nil {
			t.Errorf("%s: succeeded, want the append-only trigger to refuse it", stmt)
		}
	}
}
