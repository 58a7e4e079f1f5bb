package sqlstore_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// mustCallCustomer gives a new customer balance on a deck of 0.60 a
// minute, per second, and returns the partner and customer.
func mustCallCustomer(t *testing.T, db *sqlstore.DB, balance int64) (string, string) {
	t.Helper()
	ctx := context.Background()
	p, a := mustMovedMoney(t, db) // 300.00
	if _, err := db.Withdraw(ctx, p, partnerd.TransferInput{AuthID: a, Amount: 30000 - balance}); err != nil {
		t.Fatal(err)
	}
	if err := db.ReplaceRateDeck(ctx, p, []partnerd.Rate{{Direction: partnerd.DirectionOutbound, Prefix: "1",
		PerMinute: 6000, InitialIncrement: 1, SubsequentIncrement: 1}}); err != nil {
		t.Fatal(err)
	}
	return p, a
}

func callCDR(callUUID, authID string, billsec int) partnerd.CDRInput {
	start := time.Date(2026, 3, 25, 10, 0, 0, 0, time.UTC)
	answer := start.Add(time.Second)
	return partnerd.CDRInput{CallUUID: callUUID, Direction: partnerd.DirectionOutbound, AccountAuthID: &authID,
		FromNumber: "+919876543210", ToNumber: "+14155550100", StartTime: start, AnswerTime: &answer,
		EndTime: answer.Add(time.Duration(billsec) * time.Second), DurationSeconds: billsec + 1, Billsec: billsec}
}

func mustBalance(t *testing.T, db *sqlstore.DB, p, a string) (balance, reserved int64) {
	t.Helper()
	acct, err := db.AccountBalance(context.Background(), p, a)
	if err != nil {
		t.Fatal(err)
	}
	return acct.Balance, acct.Reserved
}

// A call the switch never authorized (or one that outran its
// reservation) is charged at most what is available: the money reserved
// for another live call stays reserved, and the rest is unbilled.
func TestCDRChargeSparesOtherReservations(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		checkChargeSparesOtherReservations(t, mustOpen(t, filepath.Join(t.TempDir(), "p.db"), testKey(t)))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		checkChargeSparesOtherReservations(t, mustOpenPostgres(t))
	})
}

func checkChargeSparesOtherReservations(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	p, a := mustCallCustomer(t, db, 10_00) // 10.00: 1,000 s at 0.60 a minute
	live, err := db.Authorize(ctx, partnerd.AuthorizeInput{CallUUID: "live", Direction: partnerd.DirectionOutbound,
		From: "+919876543210", To: "+14155550100", AccountAuthID: &a})
	if err != nil || !live.Authorized || live.Reserved != 10_00 {
		t.Fatalf("Authorize = %+v, %v; want 10.00 reserved", live, err)
	}
	res, err := db.PostCDRs(ctx, []partnerd.CDRInput{callCDR("unauthorized", a, 60)}, make([]*partnerd.Error, 1))
	if err != nil || res[0].Status != partnerd.CDRCharged || res[0].Cost != 60 {
		t.Fatalf("PostCDRs = %+v, %v", res, err)
	}
	if balance, reserved := mustBalance(t, db, p, a); balance != 10_00 || reserved != 10_00 {
		t.Errorf("after an unauthorized call: balance %d reserved %d; want 1000 and 1000 (nothing available to take)", balance, reserved)
	}
	// The live call ends within its reservation: charged in full.
	if res, err := db.PostCDRs(ctx, []partnerd.CDRInput{callCDR("live", a, 500)}, make([]*partnerd.Error, 1)); err != nil || res[0].Cost != 5_00 {
		t.Fatalf("PostCDRs(live) = %+v, %v", res, err)
	}
	if balance, reserved := mustBalance(t, db, p, a); balance != 5_00 || reserved != 0 {
		t.Errorf("after the live call: balance %d reserved %d; want 500 and 0", balance, reserved)
	}
	var unbilled int64
	if err := db.ReadDB().QueryRow(`SELECT unbilled_amount FROM cdrs WHERE call_uuid = 'unauthorized'`).Scan(&unbilled); err != nil || unbilled != 60 {
		t.Errorf("unbilled_amount = %d, %v; want 60", unbilled, err)
	}
	var out bytes.Buffer
	if err := db.VerifyLedger(ctx, &out); err != nil {
		t.Errorf("VerifyLedger: %v\n%s", err, out.String())
	}
}

// A question about a call whose CDR has arrived (a delayed retry of
// authorize) holds nothing: the call is over and charged.
func TestAuthorizeAfterCDRReservesNothing(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		checkAuthorizeAfterCDR(t, mustOpen(t, filepath.Join(t.TempDir(), "p.db"), testKey(t)))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		checkAuthorizeAfterCDR(t, mustOpenPostgres(t))
	})
}

func checkAuthorizeAfterCDR(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	p, a := mustCallCustomer(t, db, 10_00)
	if res, err := db.PostCDRs(ctx, []partnerd.CDRInput{callCDR("late", a, 30)}, make([]*partnerd.Error, 1)); err != nil || res[0].Status != partnerd.CDRCharged {
		t.Fatalf("PostCDRs = %+v, %v", res, err)
	}
	got, err := db.Authorize(ctx, partnerd.AuthorizeInput{CallUUID: "late", Direction: partnerd.DirectionOutbound,
		From: "+919876543210", To: "+14155550100", AccountAuthID: &a})
	if err != nil || got.Reserved != 0 {
		t.Fatalf("Authorize after the CDR = %+v, %v; want nothing reserved", got, err)
	}
	if balance, reserved := mustBalance(t, db, p, a); balance != 9_70 || reserved != 0 {
		t.Errorf("balance %d reserved %d; want 970 and 0", balance, reserved)
	}
	// A new call may still use the whole balance.
	next, err := db.Authorize(ctx, partnerd.AuthorizeInput{CallUUID: "next", Direction: partnerd.DirectionOutbound,
		From: "+919876543210", To: "+14155550100", AccountAuthID: &a})
	if err != nil || next.Reserved != 9_70 {
		t.Errorf("next Authorize = %+v, %v; want 9.70 reserved", next, err)
	}
}
