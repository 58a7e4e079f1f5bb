package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/benchtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// On SQLite the foreign keys of ledger entries and call records are
// checked at COMMIT (migration 00027), so that the writer's multi-row
// statements need no statement journal. A write that breaks one is still
// refused, and fails alone: the requests that shared its transaction are
// committed without it.
func TestSQLiteDeferredForeignKeys(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.db")
	key := testKey(t)
	db := mustOpen(t, path, key)
	raw := rawSQLite(t, path)
	checkDeferredForeignKeys(t, raw, true)
	s, err := benchtest.NewSwitch(ctx, db, raw, false, key, 4)
	if err != nil {
		t.Fatal(err)
	}

	// The writer is held in a transaction of its own while the others
	// queue, so they are taken as one batch when it is let go.
	started, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		db.Update(ctx, func(*sql.Tx) error {
			close(started)
			<-release
			return nil
		})
	}()
	<-started
	before := db.WriterStats()
	var badErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		badErr = db.Update(ctx, func(tx *sql.Tx) error {
			_, err := tx.Exec(`INSERT INTO ledger_entries (transaction_id, wallet_id, partner_id, wallet_kind, type, amount,
				balance_before, balance_after, created_at) VALUES ('txn_missing', 'MA_MISSING', NULL, 'customer', 'credit', 5, 0, 5, 0)`)
			return err
		})
	}()
	const posters = 6
	results := make([][]partnerd.CDRResult, posters)
	errs := make([]error, posters+1)
	for i := range posters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = db.PostCDRs(ctx, s.CDRs("fk", i, 5), make([]*partnerd.Error, 5))
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, errs[posters] = db.Transfer(ctx, s.PartnerID, partnerd.TransferInput{AuthID: s.Customers[0], Amount: 100})
	}()
	time.Sleep(300 * time.Millisecond) // every request queued
	close(release)
	wg.Wait()

	if badErr == nil || !strings.Contains(badErr.Error(), "FOREIGN KEY") {
		t.Errorf("an entry of a wallet that does not exist: %v, want a FOREIGN KEY failure", badErr)
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("request %d, queued beside the refused one: %v", i, err)
		}
	}
	for i, res := range results {
		for _, r := range res {
			if r.Status != partnerd.CDRCharged {
				t.Errorf("poster %d: %s %s (%v)", i, r.CallUUID, r.Status, r.Err)
			}
		}
	}
	if d := db.WriterStats().Sub(before); d.Reruns == 0 {
		t.Errorf("writer stats %+v: the refused batch did not run again (were the requests batched?)", d)
	}
	var n int
	if err := raw.QueryRow(`SELECT COUNT(*) FROM ledger_entries WHERE transaction_id = 'txn_missing'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("entries of the refused write: %d, %v", n, err)
	}
	if err := raw.QueryRow(`SELECT COUNT(*) FROM cdrs WHERE call_uuid LIKE 'fk-%'`).Scan(&n); err != nil || n != 5*posters {
		t.Errorf("call records kept: %d, %v; want %d", n, err, 5*posters)
	}
	if err := db.VerifyLedger(ctx, io.Discard); err != nil {
		t.Errorf("ledger verify: %v", err)
	}
	// A call record's own references are checked too.
	err = db.Update(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO cdrs (call_uuid, partner_id, account_auth_id, direction, from_number, to_number,
			start_time, end_time, duration_seconds, billsec, prefix, rate_per_minute, cost, unbilled_amount, currency, created_at)
			VALUES ('fk-orphan', ?, 'MA_MISSING', 'outbound', '+1', '+2', 0, 0, 0, 0, '', 0, 0, 0, 'INR', 0)`, s.PartnerID)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
		t.Errorf("a call record of an account that does not exist: %v, want a FOREIGN KEY failure", err)
	}
}

// Migration 00027 edits two tables' definitions in place: taken back and
// applied again on a database holding calls, it leaves a sound database
// whose calls are charged as before.
func TestSQLiteDeferredForeignKeysMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.db")
	key := testKey(t)
	open := func() *sqlstore.DB {
		db, err := sqlstore.Open(ctx, sqlstore.Source{Driver: "sqlite", Path: path}, sqlstore.Options{SecretKey: key})
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	db := open()
	raw := rawSQLite(t, path)
	s, err := benchtest.NewSwitch(ctx, db, raw, false, key, 3)
	if err != nil {
		t.Fatal(err)
	}
	post := func(db *sqlstore.DB, batch int) {
		t.Helper()
		res, err := db.PostCDRs(ctx, s.CDRs("mig", batch, 10), make([]*partnerd.Error, 10))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Status != partnerd.CDRCharged {
				t.Fatalf("batch %d: %s %s (%v)", batch, r.CallUUID, r.Status, r.Err)
			}
		}
	}
	post(db, 0)
	db.Close()

	if err := sqlstore.MigrateSQLiteDownTo(ctx, path, 26); err != nil {
		t.Fatal(err)
	}
	checkDeferredForeignKeys(t, raw, false)
	checkSQLiteSound(t, raw)

	db = open()
	defer db.Close()
	checkDeferredForeignKeys(t, raw, true)
	checkSQLiteSound(t, raw)
	// Batch 0 again: duplicates; batch 1: new calls from the same caller
	// ID, whose number the trigger finds already recorded.
	res, err := db.PostCDRs(ctx, s.CDRs("mig", 0, 10), make([]*partnerd.Error, 10))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Status != partnerd.CDRDuplicate {
			t.Errorf("batch 0 again: %s %s", r.CallUUID, r.Status)
		}
	}
	post(db, 1)
	var calls, numbers int
	if err := raw.QueryRow(`SELECT (SELECT COUNT(*) FROM cdrs), (SELECT COUNT(*) FROM cdr_numbers)`).Scan(&calls, &numbers); err != nil {
		t.Fatal(err)
	}
	if calls != 20 || numbers != 21 { // one caller ID, 20 callees
		t.Errorf("%d calls of %d numbers, want 20 of 21", calls, numbers)
	}
	if err := db.VerifyLedger(ctx, io.Discard); err != nil {
		t.Errorf("ledger verify: %v", err)
	}
}

// checkDeferredForeignKeys checks that every foreign key of ledger_entries
// and cdrs is deferred, or none.
func checkDeferredForeignKeys(t *testing.T, raw *sql.DB, deferred bool) {
	t.Helper()
	for _, table := range []string{"ledger_entries", "cdrs"} {
		var ddl string
		if err := raw.QueryRow(`SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?`, table).Scan(&ddl); err != nil {
			t.Fatal(err)
		}
		refs, later := strings.Count(ddl, "REFERENCES"), strings.Count(ddl, "DEFERRABLE INITIALLY DEFERRED")
		if refs == 0 || (deferred && later != refs) || (!deferred && later != 0) {
			t.Errorf("%s: %d foreign keys, %d deferred; want deferred %v:\n%s", table, refs, later, deferred, ddl)
		}
	}
}

// checkSQLiteSound runs SQLite's own checks of the file and of its
// foreign keys.
func checkSQLiteSound(t *testing.T, raw *sql.DB) {
	t.Helper()
	var ok string
	if err := raw.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Errorf("integrity_check: %q, %v", ok, err)
	}
	rows, err := raw.Query(`PRAGMA foreign_key_check`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		cols, _ := rows.Columns()
		t.Errorf("foreign_key_check found a violation (%s)", fmt.Sprint(cols))
	}
}
