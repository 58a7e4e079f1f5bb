package sqlstore_test

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
	"github.com/partnerd/partnerd/internal/storetest"
)

func TestSQLiteSwitch(t *testing.T) {
	storetest.RunSwitch(t, sqliteStores[storetest.SwitchStore], setStatus)
}

func TestPostgresSwitch(t *testing.T) {
	pgtest.Require(t)
	storetest.RunSwitch(t, postgresStores[storetest.SwitchStore], setStatus)
}

// cdrRow is what a stored call record says it cost and charged.
type cdrRow struct {
	cost, unbilled int64
	charged        bool // it names a ledger transaction
}

// mustCDRRow reads the stored record of callUUID (the CDR read API does
// not exist yet). callUUID is a literal of the test, so the statement needs
// no placeholder, which differ between the engines.
func mustCDRRow(t *testing.T, db *sqlstore.DB, callUUID string) cdrRow {
	t.Helper()
	var row cdrRow
	var txID sql.NullString
	err := db.Update(context.Background(), func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT cost, unbilled_amount, transaction_id FROM cdrs WHERE call_uuid = '`+callUUID+`'`).
			Scan(&row.cost, &row.unbilled, &txID)
	})
	if err != nil {
		t.Fatalf("reading the CDR %s: %v", callUUID, err)
	}
	row.charged = txID.Valid
	return row
}

func TestSQLiteCDRUnbilled(t *testing.T) {
	testCDRUnbilled(t, mustOpen(t, filepath.Join(t.TempDir(), "p.db"), testKey(t)))
}

func TestPostgresCDRUnbilled(t *testing.T) {
	pgtest.Require(t)
	testCDRUnbilled(t, mustOpenPostgres(t))
}

// testCDRUnbilled checks what a call that outran its reservation leaves:
// the balance at zero, the charge the most the wallet held, the rest the
// record's unbilled_amount, and ledger verify still passing.
func testCDRUnbilled(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	p, _, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Unbilled", Email: "ops@unbilled.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.FundPartner(ctx, p.ID, 100_000, nil); err != nil {
		t.Fatal(err)
	}
	customer := func(email string, balance int64) string {
		a, err := db.CreateAccount(ctx, p.ID, partnerd.AccountInput{Name: "Caller", Email: email,
			Password: "SecurePass@123", Phone: "9431538535", Country: "IN"})
		if err != nil {
			t.Fatal(err)
		}
		if balance > 0 {
			if _, err := db.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: balance}); err != nil {
				t.Fatal(err)
			}
		}
		return a.AuthID
	}
	rate := partnerd.Rate{Direction: partnerd.DirectionOutbound, Prefix: "1", PerMinute: 10000, InitialIncrement: 60, SubsequentIncrement: 60}
	if err := db.ReplaceRateDeck(ctx, p.ID, []partnerd.Rate{rate}); err != nil {
		t.Fatal(err)
	}
	a, empty := customer("a@unbilled.example", 500), customer("empty@unbilled.example", 0)
	cdr := func(uuid, authID string, billsec int) partnerd.CDRInput {
		start := time.Date(2026, 3, 25, 10, 0, 0, 0, time.UTC)
		in := partnerd.CDRInput{CallUUID: uuid, Direction: partnerd.DirectionOutbound, AccountAuthID: &authID,
			FromNumber: "+912271260000", ToNumber: "+15551234567", StartTime: start,
			EndTime: start.Add(time.Duration(billsec) * time.Second), DurationSeconds: billsec, Billsec: billsec}
		if billsec > 0 {
			in.AnswerTime = &start
		}
		return in
	}
	au, err := db.Authorize(ctx, partnerd.AuthorizeInput{CallUUID: "over-1", Direction: partnerd.DirectionOutbound,
		From: "+912271260000", To: "+15551234567", AccountAuthID: &a})
	if err != nil || !au.Authorized || au.MaxDuration != 300 || au.Reserved != 500 {
		t.Fatalf("Authorize = %+v, %v; want 300 s with 500 reserved", au, err)
	}
	ins := []partnerd.CDRInput{cdr("over-1", a, 600), cdr("empty-1", empty, 60), cdr("zero-1", empty, 0)}
	res, err := db.PostCDRs(ctx, ins, make([]*partnerd.Error, len(ins)))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int64{1000, 100, 0} {
		if res[i].Status != partnerd.CDRCharged || res[i].Cost != want {
			t.Errorf("result %d = %+v, want charged %d", i, res[i], want)
		}
	}
	for uuid, want := range map[string]cdrRow{
		"over-1":  {cost: 1000, unbilled: 500, charged: true}, // the 500 it held
		"empty-1": {cost: 100, unbilled: 100},                 // nothing to take
		"zero-1":  {},                                         // nothing to bill
	} {
		if got := mustCDRRow(t, db, uuid); got != want {
			t.Errorf("CDR %s = %+v, want %+v", uuid, got, want)
		}
	}
	for _, id := range []string{a, empty} {
		w, err := db.AccountBalance(ctx, p.ID, id)
		if err != nil || w.Balance != 0 || w.Reserved != 0 {
			t.Errorf("wallet %s = %+v, %v; want balance 0, nothing reserved", id, w, err)
		}
	}
	var out bytes.Buffer
	if err := db.VerifyLedger(ctx, &out); err != nil {
		t.Errorf("VerifyLedger: %v\n%s", err, out.String())
	}
}
