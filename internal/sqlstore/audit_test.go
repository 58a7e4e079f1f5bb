package sqlstore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/sqlstore"
)

// checkUnaudited proves the writer refuses, and rolls back, a write made
// for a partner's request that records no audit row (a new op that forgot
// db.audit), while a read made as a write (GET auto-top-up) owes none.
func checkUnaudited(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	p, _, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Forgetful", Email: "ops@forgetful.example"})
	if err != nil {
		t.Fatal(err)
	}
	asPartner := partnerd.WithAudit(ctx, partnerd.AuditContext{Actor: partnerd.Actor{Kind: partnerd.ActorPartner, ID: p.ID}})
	err = db.Update(asPartner, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.Rebind(`UPDATE partners SET name = 'Changed unseen' WHERE id = ?`), p.ID)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "no audit row") {
		t.Errorf("a partner's write without its audit row: %v, want it refused", err)
	}
	if got, err := db.Partner(ctx, p.ID); err != nil || got.Name != "Forgetful" {
		t.Errorf("after the refused write the partner is %+v, %v; want it unchanged", got, err)
	}
	a, err := db.CreateAccount(ctx, p.ID, partnerd.AccountInput{Name: "Topped", Email: "topped@forgetful.example",
		Password: "SecurePass@123", Phone: "9431538535", Country: "IN"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetAutoTopup(asPartner, p.ID, a.AuthID, partnerd.AutoTopupInput{Enabled: true, Threshold: 500,
		TargetBalance: 2000, MaxPerDay: 10000, MaxPerMonth: 100000, MaxCountPerDay: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AutoTopup(asPartner, p.ID, a.AuthID); err != nil {
		t.Errorf("a read made as a write, for a partner: %v", err)
	}
	_, total, err := db.AuditEvents(ctx, p.ID, partnerd.AuditFilter{Page: partnerd.Page{Page: 1, Size: 10}})
	if err != nil || total != 1 {
		t.Errorf("audit rows = %d, %v; want 1 (auto_topup.update)", total, err)
	}
}

func TestSQLiteUnaudited(t *testing.T) {
	checkUnaudited(t, mustOpen(t, filepath.Join(t.TempDir(), "p.db"), testKey(t)))
}

func TestPostgresUnaudited(t *testing.T) {
	checkUnaudited(t, mustOpenPostgres(t))
}

// checkSystemRows proves the server's own changes are recorded as the
// system's: an auto top-up (its transaction the target) and a number's
// renewal.
func checkSystemRows(t *testing.T, db *sqlstore.DB) {
	ctx := context.Background()
	system := partnerd.WithAudit(ctx, partnerd.AuditContext{Actor: partnerd.Actor{Kind: partnerd.ActorSystem}})
	p, _, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Sweeper", Email: "ops@sweeper.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.FundPartner(ctx, p.ID, 1_000_000, nil); err != nil {
		t.Fatal(err)
	}
	a, err := db.CreateAccount(ctx, p.ID, partnerd.AccountInput{Name: "Swept", Email: "swept@sweeper.example",
		Password: "SecurePass@123", Phone: "9431538535", Country: "IN"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 60_000}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetAutoTopup(ctx, p.ID, a.AuthID, partnerd.AutoTopupInput{Enabled: true, Threshold: 10_000,
		TargetBalance: 50_000, MaxPerDay: 100_000, MaxPerMonth: 1_000_000, MaxCountPerDay: 3}); err != nil {
		t.Fatal(err)
	}
	// Down across the threshold: a crossing, topped up by the sweep.
	if _, err := db.Withdraw(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 55_000}); err != nil {
		t.Fatal(err)
	}
	if n, err := db.RunAutoTopups(system, time.Now()); err != nil || n != 1 {
		t.Fatalf("RunAutoTopups = %d, %v; want 1 top-up", n, err)
	}
	if _, err := db.AddNumber(ctx, p.ID, partnerd.NumberInput{Number: "+912271264399", MonthlyCost: 100}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AssignNumber(ctx, p.ID, a.AuthID, "+912271264399"); err != nil {
		t.Fatal(err)
	}
	if rep, err := db.RenewNumbers(system, time.Now().AddDate(0, 1, 1)); err != nil || rep.Charged != 1 {
		t.Fatalf("RenewNumbers = %+v, %v; want 1 period charged", rep, err)
	}
	rows, _, err := db.AuditEvents(ctx, p.ID, partnerd.AuditFilter{Page: partnerd.Page{Page: 1, Size: 10}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range rows {
		got = append(got, e.Actor.Kind+" "+e.Action+" "+e.Account)
	}
	want := []string{"system number.renew " + a.AuthID, "system balance.auto_topup " + a.AuthID}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows, newest first:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(rows) == 2 && !strings.HasPrefix(rows[1].Target, "txn_") {
		t.Errorf("the top-up's row names %q, want its transaction", rows[1].Target)
	}
}

func TestSQLiteSystemRows(t *testing.T) {
	checkSystemRows(t, mustOpen(t, filepath.Join(t.TempDir(), "p.db"), testKey(t)))
}

func TestPostgresSystemRows(t *testing.T) {
	checkSystemRows(t, mustOpenPostgres(t))
}
