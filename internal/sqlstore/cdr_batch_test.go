package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/benchtest"
	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// The batch reads of PostCDRs (duplicates, authorizations, accounts and
// balances read once per batch): one batch mixing an authorized call, new
// calls, a repeat within the batch and a customer whose balance runs out
// is charged as record after record would be, and the ledger adds up.
func TestCDRBatchReads(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "p.db")
		key := testKey(t)
		testCDRBatchReads(t, mustOpen(t, path, key), rawSQLite(t, path), false, key)
	})
	t.Run("postgres", func(t *testing.T) {
		pgtest.Require(t)
		key := testKey(t)
		dbs, raw := openPostgresN(t, postgresSource(t), sqlstore.Options{SecretKey: key}, 1)
		testCDRBatchReads(t, dbs[0], raw, true, key)
	})
}

func testCDRBatchReads(t *testing.T, db *sqlstore.DB, raw *sql.DB, postgres bool, key []byte) {
	ctx := context.Background()
	s, err := benchtest.NewSwitch(ctx, db, raw, postgres, key, 3)
	if err != nil {
		t.Fatal(err)
	}
	c0, c1, c2 := s.Customers[0], s.Customers[1], s.Customers[2]
	// c2 keeps 100 paise.
	if _, err := db.Withdraw(ctx, s.PartnerID, partnerd.TransferInput{AuthID: c2, Amount: benchtest.SwitchFunds - 100}); err != nil {
		t.Fatal(err)
	}
	a, err := db.Authorize(ctx, partnerd.AuthorizeInput{CallUUID: "auth-0", Direction: partnerd.DirectionOutbound,
		From: "+919700000001", To: "+918012345678", AccountAuthID: &c0})
	if err != nil || !a.Authorized || a.Reserved <= 0 {
		t.Fatalf("Authorize = %+v, %v", a, err)
	}
	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	cdr := func(id, acct string, billsec int) partnerd.CDRInput {
		answer := start.Add(time.Second)
		return partnerd.CDRInput{CallUUID: id, Direction: partnerd.DirectionOutbound, AccountAuthID: &acct,
			FromNumber: "+919700000001", ToNumber: "+918012345678", StartTime: start, AnswerTime: &answer,
			EndTime: answer.Add(time.Duration(billsec) * time.Second), DurationSeconds: billsec + 1, Billsec: billsec}
	}
	batch := []partnerd.CDRInput{
		cdr("auth-0", c0, 120), cdr("new-1", c1, 60), cdr("low-1", c2, 600), cdr("new-1", c1, 60),
		cdr("low-2", c2, 600), cdr("new-2", c1, 30),
	}
	want := []string{partnerd.CDRCharged, partnerd.CDRCharged, partnerd.CDRCharged, partnerd.CDRDuplicate,
		partnerd.CDRCharged, partnerd.CDRCharged}
	res, err := db.PostCDRs(ctx, batch, make([]*partnerd.Error, len(batch)))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Status != want[i] || r.Cost <= 0 {
			t.Errorf("record %d: %+v, want %s with a cost", i, r, want[i])
		}
	}
	// The deck's longest prefix for +918012345678 is 9180.
	rate := partnerd.Rate{Direction: partnerd.DirectionOutbound, Prefix: "9180", PerMinute: 3000, InitialIncrement: 30, SubsequentIncrement: 6}
	if got, want := res[1].Cost, rate.Cost(60, "INR"); got != want {
		t.Errorf("new-1 cost %d, want %d", got, want)
	}
	if got, want := res[5].Cost, rate.Cost(30, "INR"); got != want {
		t.Errorf("new-2 cost %d, want %d", got, want)
	}
	again, err := db.PostCDRs(ctx, batch, make([]*partnerd.Error, len(batch)))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range again {
		if r.Status != partnerd.CDRDuplicate || r.Cost != res[i].Cost {
			t.Errorf("record %d again: %+v, want a duplicate costing %d", i, r, res[i].Cost)
		}
	}
	for _, c := range []struct {
		id                string
		balance, reserved int64
	}{
		{c0, benchtest.SwitchFunds - res[0].Cost, 0},
		{c1, benchtest.SwitchFunds - res[1].Cost - res[5].Cost, 0},
		{c2, 0, 0},
	} {
		acct, err := db.AccountBalance(ctx, s.PartnerID, c.id)
		if err != nil {
			t.Fatal(err)
		}
		if acct.Balance != c.balance || acct.Reserved != c.reserved {
			t.Errorf("%s: balance %d reserved %d, want %d and %d", c.id, acct.Balance, acct.Reserved, c.balance, c.reserved)
		}
	}
	if err := db.VerifyLedger(ctx, io.Discard); err != nil {
		t.Errorf("VerifyLedger: %v", err)
	}
}

// Concurrent authorizations of one customer on two instances (combined on
// PostgreSQL): the reservations never exceed the balance and add up to the
// wallet's reserved, and a replay returns the first answer.
func TestAuthorizeConcurrentReservations(t *testing.T) {
	pgtest.Require(t)
	ctx := context.Background()
	key := testKey(t)
	dbs, raw := openPostgresInstances(t, postgresSource(t), key)
	s, err := benchtest.NewSwitch(ctx, dbs[0], raw, true, key, 2)
	if err != nil {
		t.Fatal(err)
	}
	c := s.Customers[0]
	if _, err := dbs[0].Withdraw(ctx, s.PartnerID, partnerd.TransferInput{AuthID: c, Amount: benchtest.SwitchFunds - 5000}); err != nil {
		t.Fatal(err)
	}
	const calls = 48
	answers := make([]*partnerd.Authorization, 2*calls)
	errs := make([]error, 2*calls)
	done := make(chan struct{})
	for i := range 2 * calls {
		go func() {
			defer func() { done <- struct{}{} }()
			answers[i], errs[i] = dbs[i%2].Authorize(ctx, partnerd.AuthorizeInput{CallUUID: fmt.Sprintf("c-%d", i%calls),
				Direction: partnerd.DirectionOutbound, From: "+919700000001", To: "+918012345678", AccountAuthID: &c})
		}()
	}
	for range 2 * calls {
		<-done
	}
	var sum int64
	authorized := 0
	for i := range calls {
		a, b := answers[i], answers[i+calls]
		if errs[i] != nil || errs[i+calls] != nil {
			t.Fatalf("call %d: %v, %v", i, errs[i], errs[i+calls])
		}
		if a.Authorized != b.Authorized || a.Reserved != b.Reserved || a.MaxDuration != b.MaxDuration || a.Reason != b.Reason {
			t.Errorf("call %d answered twice differently: %+v and %+v", i, a, b)
		}
		if a.Authorized {
			authorized++
			sum += a.Reserved
		}
	}
	acct, err := dbs[0].AccountBalance(ctx, s.PartnerID, c)
	if err != nil {
		t.Fatal(err)
	}
	if acct.Reserved != sum || acct.Reserved > acct.Balance || authorized == 0 || authorized == calls {
		t.Errorf("reserved %d of balance %d; the %d authorized calls reserved %d", acct.Reserved, acct.Balance, authorized, sum)
	}
}

// rawSQLite opens a plain handle on the store's SQLite file at path, for
// statements no store method makes, closed when the test ends.
func rawSQLite(t *testing.T, path string) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

// A store rates call records with the rate deck it keeps in memory only
// while that deck is the partner's: a deck replaced through another store
// on the same database (another instance, or an operator command) rates
// the very next record.
func TestCDRRateDeckReplaced(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "p.db")
		key := testKey(t)
		dbs := []*sqlstore.DB{mustOpen(t, path, key), mustOpen(t, path, key)}
		testCDRRateDeckReplaced(t, dbs, rawSQLite(t, path), false, key)
	})
	t.Run("postgres", func(t *testing.T) {
		pgtest.Require(t)
		key := testKey(t)
		dbs, raw := openPostgresInstances(t, sqlstore.Source{Driver: "postgres", DSN: pgtest.FreshDSN(t)}, key)
		testCDRRateDeckReplaced(t, dbs, raw, true, key)
	})
}

func testCDRRateDeckReplaced(t *testing.T, dbs []*sqlstore.DB, raw *sql.DB, postgres bool, key []byte) {
	ctx := context.Background()
	s, err := benchtest.NewSwitch(ctx, dbs[0], raw, postgres, key, 1)
	if err != nil {
		t.Fatal(err)
	}
	acct := s.Customers[0]
	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	post := func(id string) partnerd.CDRResult {
		t.Helper()
		answer := start.Add(time.Second)
		res, err := dbs[1].PostCDRs(ctx, []partnerd.CDRInput{{CallUUID: id, Direction: partnerd.DirectionOutbound,
			AccountAuthID: &acct, FromNumber: "+919700000001", ToNumber: "+918012345678", StartTime: start,
			AnswerTime: &answer, EndTime: answer.Add(61 * time.Second), DurationSeconds: 62, Billsec: 61}},
			make([]*partnerd.Error, 1))
		if err != nil {
			t.Fatal(err)
		}
		return res[0]
	}
	cost := func(r partnerd.Rate) int64 { return r.Cost(61, "INR") }
	// SwitchDeck's longest prefix of +918012345678 is 9180: 30/6 at 30.00.
	first := partnerd.Rate{Direction: partnerd.DirectionOutbound, Prefix: "9180", PerMinute: 3000, InitialIncrement: 30, SubsequentIncrement: 6}
	if r := post("deck-1"); r.Status != partnerd.CDRCharged || r.Cost != cost(first) {
		t.Fatalf("with the first deck: %+v, want charged %d", r, cost(first))
	}
	second := partnerd.Rate{Direction: partnerd.DirectionOutbound, Prefix: "918012", PerMinute: 1200, InitialIncrement: 1, SubsequentIncrement: 1}
	if err := dbs[0].ReplaceRateDeck(ctx, s.PartnerID, []partnerd.Rate{
		{Direction: partnerd.DirectionOutbound, Prefix: "91", PerMinute: 6000, InitialIncrement: 60, SubsequentIncrement: 60}, second,
	}); err != nil {
		t.Fatal(err)
	}
	if r := post("deck-2"); r.Status != partnerd.CDRCharged || r.Cost != cost(second) {
		t.Fatalf("with the second deck: %+v, want charged %d", r, cost(second))
	}
	if err := dbs[0].ReplaceRateDeck(ctx, s.PartnerID, []partnerd.Rate{
		{Direction: partnerd.DirectionInbound, Prefix: "91", PerMinute: 100, InitialIncrement: 1, SubsequentIncrement: 1},
	}); err != nil {
		t.Fatal(err)
	}
	if r := post("deck-3"); r.Status != partnerd.CDRRejected || r.Err == nil || r.Err.Code != partnerd.ECNoRate {
		t.Fatalf("with no outbound rate: %+v, want rejected no_rate", r)
	}
	for _, db := range dbs {
		if err := db.VerifyLedger(ctx, io.Discard); err != nil {
			t.Errorf("VerifyLedger: %v", err)
		}
	}
}

// openPostgresInstances opens two stores on src's database, as two
// instances would, and a plain connection to it; all close with the test.
func openPostgresInstances(t *testing.T, src sqlstore.Source, key []byte) ([]*sqlstore.DB, *sql.DB) {
	t.Helper()
	return openPostgresN(t, src, sqlstore.Options{SecretKey: key}, 2)
}

// openPostgresN opens n stores on src's database with opts, and a plain
// connection to it; all close with the test.
func openPostgresN(t *testing.T, src sqlstore.Source, opts sqlstore.Options, n int) ([]*sqlstore.DB, *sql.DB) {
	t.Helper()
	var dbs []*sqlstore.DB
	for range n {
		db, err := sqlstore.Open(context.Background(), src, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	raw, err := sql.Open("pgx", src.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return dbs, raw
}
