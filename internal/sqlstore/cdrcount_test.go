package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// Migration 00020 adds filter counts that the calls already recorded must
// be in: it asks the store to rebuild them when it opens the database (in
// each partner's zone). These tests empty the counts, ask again, reopen,
// and compare the lists' totals with the rows.

func TestCDRCountsRebuiltOnOpenSQLite(t *testing.T) {
	t.Parallel()
	path, key := filepath.Join(t.TempDir(), "p.db"), testKey(t)
	checkCountsRebuiltOnOpen(t, func() *sqlstore.DB { return mustOpen(t, path, key) })
}

func TestCDRCountsRebuiltOnOpenPostgres(t *testing.T) {
	t.Parallel()
	src, key := postgresSource(t), testKey(t)
	checkCountsRebuiltOnOpen(t, func() *sqlstore.DB {
		db, err := sqlstore.Open(context.Background(), src, sqlstore.Options{SecretKey: key})
		if err != nil {
			t.Fatalf("Open(postgres): %v", err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}

func checkCountsRebuiltOnOpen(t *testing.T, open func() *sqlstore.DB) {
	ctx := context.Background()
	db := open()
	// Kolkata's midnight is 18:30 UTC: calls at 20:00 UTC count on the
	// next day, which a rebuild in UTC would get wrong.
	now := time.Date(2026, 3, 10, 20, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	tz := "Asia/Kolkata"
	p, _, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Rebuild", Email: "ops@rebuild.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetPartner(ctx, p.ID, partnerd.PartnerSettings{Timezone: &tz}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.FundPartner(ctx, p.ID, 10_000_00, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.ReplaceRateDeck(ctx, p.ID, []partnerd.Rate{{Direction: partnerd.DirectionOutbound, Prefix: "1", PerMinute: 4500,
		InitialIncrement: 1, SubsequentIncrement: 1}}); err != nil {
		t.Fatal(err)
	}
	a, err := db.CreateAccount(ctx, p.ID, partnerd.AccountInput{Name: "Caller", Email: "caller@rebuild.example",
		Password: "SecurePass@123", Phone: "9431538535", Country: "IN"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 1_000_00}); err != nil {
		t.Fatal(err)
	}
	causes := []string{"NORMAL_CLEARING", "NO_ANSWER", "USER_BUSY"}
	var batch []partnerd.CDRInput
	for i := range 30 {
		cause := causes[i%len(causes)]
		billsec := 0
		if cause == "NORMAL_CLEARING" {
			billsec = 10 * i
		}
		// Every 2 hours back from now: both sides of two local midnights.
		start := now.Add(-time.Duration(i) * 2 * time.Hour)
		in := partnerd.CDRInput{CallUUID: fmt.Sprintf("rb-%d", i), Direction: partnerd.DirectionOutbound, AccountAuthID: &a.AuthID,
			FromNumber: "+919876543210", ToNumber: "+14155550100", StartTime: start, EndTime: start.Add(time.Duration(billsec+2) * time.Second),
			DurationSeconds: billsec + 2, Billsec: billsec, HangupCause: &cause}
		if billsec > 0 {
			answer := start.Add(2 * time.Second)
			in.AnswerTime = &answer
		}
		batch = append(batch, in)
	}
	if _, err := db.PostCDRs(ctx, batch, make([]*partnerd.Error, len(batch))); err != nil {
		t.Fatal(err)
	}
	// The database as a release before 00020 left it: calls, no counts.
	if err := db.Update(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{`DELETE FROM usage_daily_cause`, `DELETE FROM usage_daily_billsec`, `DELETE FROM usage_daily_number`,
			`INSERT INTO meta (name, value) VALUES ('rebuild_usage', '00020')`} {
			if _, err := tx.Exec(q); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	db = open()
	db.Now = func() time.Time { return now }
	cdrs, _ := bruteForceRows(t, db, p.ID)
	kolkata, _ := time.LoadLocation(tz)
	checkCDRCounts(t, db, p.ID, cdrs, now, kolkata)
	var n int
	if err := db.ReadDB().QueryRow(`SELECT COUNT(*) FROM meta WHERE name = 'rebuild_usage'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("rebuild_usage rows left: %d, %v (want 0)", n, err)
	}
}
