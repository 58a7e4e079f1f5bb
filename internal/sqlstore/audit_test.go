package sqlstore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

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
