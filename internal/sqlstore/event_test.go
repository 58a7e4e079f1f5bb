package sqlstore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/partnerd/partnerd"
	"github.com/partnerd/partnerd/internal/pgtest"
	"github.com/partnerd/partnerd/internal/storetest"
)

func TestSQLiteEvents(t *testing.T) {
	storetest.RunEvents(t, sqliteStores[storetest.EventStore])
}

func TestPostgresEvents(t *testing.T) {
	pgtest.Require(t)
	storetest.RunEvents(t, postgresStores[storetest.EventStore])
}

func TestSQLiteAlerts(t *testing.T) {
	storetest.RunAlerts(t, sqliteStores[storetest.AlertStore])
}

func TestPostgresAlerts(t *testing.T) {
	pgtest.Require(t)
	storetest.RunAlerts(t, postgresStores[storetest.AlertStore])
}

// TestPurgeEvents keeps events 30 days, and longer those whose
// deliveries are not finished.
func TestPurgeEvents(t *testing.T) {
	db := mustOpen(t, filepath.Join(t.TempDir(), "p.db"), testKey(t))
	ctx := context.Background()
	old := time.Now().Add(-31 * 24 * time.Hour)
	db.Now = func() time.Time { return old }
	p, _, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Purge", Email: "ops@purge.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateAccount(ctx, p.ID, partnerd.AccountInput{Name: "A", Email: "a@purge.example", Password: "SecurePass@123",
		Phone: "9431538535", Country: "IN"}); err != nil {
		t.Fatal(err)
	}
	ep, err := db.CreateWebhookEndpoint(ctx, p.ID, partnerd.WebhookEndpointInput{URL: "https://hooks.example/purge"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.TestWebhookEndpoint(ctx, p.ID, ep.ID); err != nil { // an old event with a pending delivery
		t.Fatal(err)
	}
	db.Now = time.Now
	if _, err := db.CreateAccount(ctx, p.ID, partnerd.AccountInput{Name: "B", Email: "b@purge.example", Password: "SecurePass@123",
		Phone: "9431538535", Country: "IN"}); err != nil {
		t.Fatal(err)
	}
	n, err := db.PurgeEvents(ctx)
	if err != nil || n != 1 {
		t.Fatalf("PurgeEvents = %d, %v; want the old account.created only", n, err)
	}
	es, total, err := db.Events(ctx, p.ID, partnerd.EventFilter{Page: partnerd.Page{Page: 1, Size: 10}})
	if err != nil || total != 2 || es[0].Type != partnerd.EventAccountCreated || es[1].Type != partnerd.EventPing {
		t.Errorf("events after the purge: %d %v", total, err)
	}
}

// TestAccountLowBalanceThreshold: a customer's own threshold (the column
// account create and PATCH write) replaces its partner's.
func TestAccountLowBalanceThreshold(t *testing.T) {
	db := mustOpen(t, filepath.Join(t.TempDir(), "p.db"), testKey(t))
	ctx := context.Background()
	p, _, err := db.CreatePartner(ctx, partnerd.PartnerInput{Name: "Own", Email: "ops@own.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.FundPartner(ctx, p.ID, 1_000_000, nil); err != nil {
		t.Fatal(err)
	}
	a, err := db.CreateAccount(ctx, p.ID, partnerd.AccountInput{Name: "A", Email: "a@own.example", Password: "SecurePass@123",
		Phone: "9431538535", Country: "IN"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE accounts SET low_balance_threshold = 50000 WHERE auth_id = '` + a.AuthID + `'`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	db.ForgetAlertConfig(a.AuthID)
	if _, err := db.Transfer(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 60000}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Withdraw(ctx, p.ID, partnerd.TransferInput{AuthID: a.AuthID, Amount: 20000}); err != nil { // 400.00 < 500.00
		t.Fatal(err)
	}
	es, _, err := db.Events(ctx, p.ID, partnerd.EventFilter{Page: partnerd.Page{Page: 1, Size: 10}, Type: partnerd.EventBalanceLow})
	if err != nil || len(es) != 1 || !strings.Contains(string(es[0].Data), `"threshold":500.00`) {
		t.Fatalf("balance.low events = %v, %v; want one at the account's 500.00", es, err)
	}
}

func TestSQLiteAudit(t *testing.T) {
	storetest.RunAudit(t, sqliteStores[storetest.AuditStore])
}

func TestPostgresAudit(t *testing.T) {
	pgtest.Require(t)
	storetest.RunAudit(t, postgresStores[storetest.AuditStore])
}
