package sqlstore_test

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
	"github.com/partnerd/partnerd/internal/storetest"
)

func TestSQLiteNumbers(t *testing.T) {
	storetest.RunNumbers(t, sqliteStores[storetest.NumberStore])
}

func TestPostgresNumbers(t *testing.T) {
	pgtest.Require(t)
	storetest.RunNumbers(t, postgresStores[storetest.NumberStore])
}

// TestVerifyNumberCharges checks that ledger verify passes after a rental
// and fails, naming the transaction, once its charged period is gone.
func TestVerifyNumberCharges(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t, filepath.Join(t.TempDir(), "p.db"), testKey(t))
	p, a := mustMovedMoney(t, db)
	if _, err := db.AddNumber(ctx, p, partnerd.NumberInput{Number: "+912271264217", MonthlyCost: 2500}); err != nil {
		t.Fatal(err)
	}
	n, err := db.AssignNumber(ctx, p, a, "+912271264217")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := db.VerifyLedger(ctx, &out); err != nil || !strings.Contains(out.String(), "ok   I10") {
		t.Fatalf("VerifyLedger after a rental: %v\n%s", err, out.String())
	}
	var txID string
	err = db.Update(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT transaction_id FROM number_charges WHERE number = ? AND period_start = ?`,
			n.Number, n.AssignedAt.Unix()).Scan(&txID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM number_charges`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.VerifyLedger(ctx, &out)
	if err == nil || !strings.Contains(err.Error(), "I10") || !strings.Contains(err.Error(), txID) {
		t.Errorf("VerifyLedger without the charged period = %v, want I10 naming %s", err, txID)
	}
}

// TestCopyNumbers copies an installation with rented numbers: the pool and
// the charged periods arrive (ledger verify's I10 needs the latter), and
// the copy goes on renewing from where the source was.
func TestCopyNumbers(t *testing.T) {
	ctx := context.Background()
	key := testKey(t)
	src := mustOpen(t, filepath.Join(t.TempDir(), "src.db"), key)
	dst := mustOpen(t, filepath.Join(t.TempDir(), "dst.db"), key)
	p, a := mustMovedMoney(t, src)
	for _, n := range []string{"+912271264217", "+912271264218"} {
		if _, err := src.AddNumber(ctx, p, partnerd.NumberInput{Number: n, MonthlyCost: 2500}); err != nil {
			t.Fatal(err)
		}
	}
	assigned, err := src.AssignNumber(ctx, p, a, "+912271264217")
	if err != nil {
		t.Fatal(err)
	}
	if err := sqlstore.Copy(ctx, src, dst, &bytes.Buffer{}); err != nil {
		t.Fatalf("Copy: %v", err)
	}
	page := partnerd.NumberFilter{Page: partnerd.Page{Page: 1, Size: 10}}
	want, _, err := src.ListNumbers(ctx, p, page)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := dst.ListNumbers(ctx, p, page)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("numbers after copy (-source +target):\n%s", diff)
	}
	var out bytes.Buffer
	if err := dst.VerifyLedger(ctx, &out); err != nil {
		t.Errorf("VerifyLedger on the target: %v\n%s", err, out.String())
	}
	if rep, err := dst.RenewNumbers(ctx, assigned.PaidUntil.Add(-time.Second)); err != nil || rep.Charged != 0 {
		t.Errorf("renewal on the target before the period's end = %+v, %v; want nothing (the first month was copied)", rep, err)
	}
	if rep, err := dst.RenewNumbers(ctx, *assigned.PaidUntil); err != nil || rep.Charged != 1 {
		t.Errorf("renewal on the target at the period's end = %+v, %v; want the second month", rep, err)
	}
}
